package dev.bd3.model.data;

import dev.bd3.model.spec.Vocabulary;
import java.util.Optional;

/**
 * Where a corpus's token streams are kept between processes, by the sha256 of its text and the
 * tokenizer: a text is tokenized once per tokenizer, not once per job (GPT-2's BPE takes tens of
 * seconds over the bundled corpus).
 */
public interface TokenStore {
  /** Keeps nothing: every process tokenizes for itself. */
  TokenStore NONE =
      new TokenStore() {
        @Override
        public Optional<Corpus.Tokens> load(String textSha256, Vocabulary vocabulary) {
          return Optional.empty();
        }

        @Override
        public void save(String textSha256, Vocabulary vocabulary, Corpus.Tokens tokens) {}
      };

  /** The streams kept for this text and tokenizer, if any. */
  Optional<Corpus.Tokens> load(String textSha256, Vocabulary vocabulary);

  /** Keeps the streams of this text and tokenizer. */
  void save(String textSha256, Vocabulary vocabulary, Corpus.Tokens tokens);
}
