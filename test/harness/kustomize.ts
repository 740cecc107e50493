import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = Record<string, unknown>;

/** Kinds that live outside namespaces, which the namespace transformer leaves alone. */
const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass', 'PersistentVolume', 'ClusterTriggerAuthentication']);

/** Lists that built-in kinds merge by `name` under a strategic merge patch; every other list is replaced. */
const mergedByName = new Set(['containers', 'initContainers', 'env', 'volumes', 'volumeMounts']);

/** The kustomization fields this renderer implements; anything else is refused, not ignored. */
const supportedFields: Record<string, Set<string>> = {
  Kustomization: new Set(['apiVersion', 'kind', 'namespace', 'labels', 'resources', 'components', 'patches', 'images']),
  Component: new Set(['apiVersion', 'kind', 'resources', 'patches']),
};

export function readYamlDocuments(file: string): Json[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { merge: true })
    .map((doc) => {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return doc.toJS({ maxAliasCount: 100 }) as Json;
    })
    .filter((doc) => doc !== null);
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isBuiltinKind = (apiVersion: string) => !apiVersion.includes('.') || apiVersion.includes('.k8s.io/');

function strategicMerge(target: Json, patch: Json, builtin: boolean): Json {
  const merged: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    if (value === null) delete merged[key];
    else if (isObject(value) && isObject(current)) merged[key] = strategicMerge(current, value, builtin);
    else if (builtin && mergedByName.has(key) && Array.isArray(value) && Array.isArray(current)) {
      const items = [...(current as Json[])];
      for (const item of value as Json[]) {
        const index = items.findIndex((existing) => existing.name === item.name);
        if (index >= 0) items[index] = strategicMerge(items[index]!, item, builtin);
        else items.push(item);
      }
      merged[key] = items;
    } else merged[key] = structuredClone(value);
  }
  return merged;
}

function podSpecs(object: KubeObject): Json[] {
  const template = (object.spec as Json | undefined)?.template as Json | undefined;
  const spec = template?.spec as Json | undefined;
  return spec ? [spec] : [];
}

function setImage(object: KubeObject, images: Array<{ name: string; newName?: string; newTag?: string }>): void {
  for (const spec of podSpecs(object)) {
    for (const container of [...((spec.containers as Json[]) ?? []), ...((spec.initContainers as Json[]) ?? [])]) {
      const image = String(container.image);
      const repository = image.replace(/@.*$/, '').replace(/:[^:/]+$/, '');
      const tag = image.slice(repository.length); // ":tag", "@digest" or ""
      const rule = images.find((candidate) => candidate.name === repository);
      if (rule) container.image = `${rule.newName ?? repository}${rule.newTag ? `:${rule.newTag}` : tag}`;
    }
  }
}

function loadResource(base: string, entry: string): KubeObject[] {
  const target = path.resolve(base, entry);
  return statSync(target).isDirectory() ? renderKustomization(target) : (readYamlDocuments(target) as unknown as KubeObject[]);
}

function applyLayer(dir: string, layer: Json, objects: KubeObject[]): KubeObject[] {
  const kind = String(layer.kind ?? 'Kustomization');
  const supported = supportedFields[kind];
  if (!supported) throw new Error(`${dir}: kind ${kind} is not supported`);
  const unknown = Object.keys(layer).filter((field) => !supported.has(field));
  if (unknown.length) throw new Error(`${dir}: kustomization field(s) ${unknown.join(', ')} not supported by this renderer`);

  let result = [...objects, ...((layer.resources as string[] | undefined) ?? []).flatMap((entry) => loadResource(dir, entry))];
  for (const component of (layer.components as string[] | undefined) ?? []) {
    const componentDir = path.resolve(dir, component);
    result = applyLayer(componentDir, readYamlDocuments(path.join(componentDir, 'kustomization.yaml'))[0]!, result);
  }
  for (const patchEntry of (layer.patches as Json[] | undefined) ?? []) {
    if (Object.keys(patchEntry).some((key) => key !== 'path')) throw new Error(`${dir}: only patches with a path (strategic merge) are supported`);
    for (const patch of readYamlDocuments(path.resolve(dir, String(patchEntry.path))) as unknown as KubeObject[]) {
      const index = result.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (index < 0) throw new Error(`${dir}: patch targets ${patch.kind}/${patch.metadata.name}, which no resource defines`);
      result[index] = strategicMerge(result[index]!, patch, isBuiltinKind(patch.apiVersion)) as KubeObject;
    }
  }
  const namespace = layer.namespace as string | undefined;
  const labels = ((layer.labels as Array<{ pairs: Record<string, string> }> | undefined) ?? []).map((entry) => {
    if (Object.keys(entry).some((key) => key !== 'pairs')) throw new Error(`${dir}: only labels.pairs is supported`);
    return entry.pairs;
  });
  const images = (layer.images as Array<{ name: string; newName?: string; newTag?: string }> | undefined) ?? [];
  return result.map((original) => {
    const object = structuredClone(original);
    if (namespace && !clusterScoped.has(object.kind)) object.metadata.namespace = namespace;
    for (const pairs of labels) object.metadata.labels = { ...object.metadata.labels, ...pairs };
    setImage(object, images);
    return object;
  });
}

/**
 * Renders a kustomization directory in process: the subset of kustomize that k8s/ uses
 * (resources, components, strategic-merge patches by path, namespace, labels.pairs, images).
 * Refuses any other field, so a manifest change that needs more fails here instead of being
 * rendered wrong. The deployment test compares its output with `kubectl kustomize` where kubectl
 * is installed.
 */
export function renderKustomization(dir: string): KubeObject[] {
  const [layer] = readYamlDocuments(path.join(dir, 'kustomization.yaml'));
  return applyLayer(dir, layer!, []);
}
