"""Caption tokenizer shared with src/core/modelAssets/tokenizer.ts (must stay identical).
Rule: ASCII A-Z lowercased; tokens are maximal runs of [a-z0-9]; every other character separates.
ids: 0 = pad, 1 = unknown, vocabulary word i (0-based in caption_vocab.json "tokens") = i + 2.
At most max_tokens tokens (extra ones dropped); padded with 0; mask 1.0 for real tokens.

CLI (used by the TS agreement test): reads JSON {"vocab": path, "captions": [...]} on stdin,
prints {"ids": [[...]], "mask": [[...]]}."""
import collections
import json
import sys

PAD, UNK = 0, 1


def words(text):
    out, cur = [], []
    for ch in text:
        o = ord(ch)
        if 65 <= o <= 90:
            ch = chr(o + 32)
            o += 32
        if 97 <= o <= 122 or 48 <= o <= 57:
            cur.append(ch)
        elif cur:
            out.append(''.join(cur))
            cur = []
    if cur:
        out.append(''.join(cur))
    return out


def build_vocab(captions, max_words):
    counts = collections.Counter(w for c in captions for w in words(c))
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[:max_words]]


def load_vocab(path):
    with open(path) as f:
        return json.load(f)


def encode(text, vocab_tokens, max_tokens):
    index = {w: i + 2 for i, w in enumerate(vocab_tokens)}
    ids = [index.get(w, UNK) for w in words(text)][:max_tokens]
    mask = [1.0] * len(ids) + [0.0] * (max_tokens - len(ids))
    return ids + [PAD] * (max_tokens - len(ids)), mask


def main():
    req = json.load(sys.stdin)
    v = load_vocab(req['vocab'])
    ids, masks = [], []
    for c in req['captions']:
        i, m = encode(c, v['tokens'], v['maxTokens'])
        ids.append(i)
        masks.append(m)
    json.dump({'ids': ids, 'mask': masks}, sys.stdout)


if __name__ == '__main__':
    main()
