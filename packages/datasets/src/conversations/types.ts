/** One training example for a chatbot: what someone said and the reply to it. */
export interface ConversationPair {
  input: string;
  reply: string;
}
