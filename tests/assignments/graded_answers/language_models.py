"""Other correct answers and one wrong answer for the exercises of language_models."""

import textwrap

ALTERNATIVES = {
    # numpy's mean of the logs instead of the page's perplexity function
    "answer-1-code": textwrap.dedent("""\
        freq = np.bincount(Y_train, minlength=V) + 1.0
        freq /= freq.sum()
        unigram_ppl = float(np.exp(-np.log(freq[Y_valid]).mean()))"""),
    # dictionaries of counts instead of count_model and sets
    "answer-2-code": textwrap.dedent("""\
        from collections import Counter

        ctx_counts = Counter(map(tuple, X_train[:, -2:].tolist()))
        tri_counts = Counter((a, b, y) for (a, b), y in zip(X_train[:, -2:].tolist(), Y_train.tolist()))
        pairs = [(tuple(c), y) for c, y in zip(X_valid[:, -2:].tolist(), Y_valid.tolist())]
        new_context = sum(ctx_counts[c] == 0 for c, _ in pairs)
        new_triple = sum(tri_counts[(*c, y)] == 0 for c, y in pairs)
        unsmoothed_ppl = math.inf if new_triple else math.exp(
            -sum(math.log(tri_counts[(*c, y)] / ctx_counts[c]) for c, y in pairs) / len(pairs))"""),
    # another random stream, one generator for all temperatures, in another order
    "answer-3-code": textwrap.dedent("""\
        seen, unseen = set(train_names), set(valid_names)
        generator = np.random.default_rng(seed + 1)
        samples = {t: sample_names(mlp_probs, 200, generator, temperature=t) for t in (1.5, 1.0, 0.5)}
        sample_stats = {t: (len([n for n in s if n in seen]), len([n for n in s if n in unseen]),
                            sum(map(len, s)) / len(s))
                        for t, s in samples.items()}"""),
    # the five-character model first, scored with the page's perplexity function
    "answer-4-code": textwrap.dedent("""\
        window_ppl = {}
        for w in (5, 2):
            cols = slice(num_steps - w, num_steps)
            d2l.seed_everything(seed)
            net_w = make_mlp(window=w)
            train_mlp(net_w, X_train[:, cols], Y_train, X_valid[:, cols], Y_valid,
                      num_epochs=1, lr=recipe['lr'], batch_size=recipe['batch_size'])
            window_ppl[w] = perplexity(next_char_probs(net_w), X_valid[:, cols], Y_valid)"""),
    # k by an explicit list of scores, the network scored with the page's perplexity function
    "answer-5-code": textwrap.dedent("""\
        all_surnames = d2l.load_names('surnames')
        perm = np.random.default_rng(2015).permutation(len(all_surnames))
        n_valid = len(all_surnames) // 10
        s_valid = [all_surnames[i] for i in perm[:n_valid]]
        s_train = [all_surnames[i] for i in perm[n_valid:]]
        n_fit = int(0.9 * len(s_train))
        Xa, Ya = windows(s_train[:n_fit])
        Xb, Yb = windows(s_train[n_fit:])
        scores = [perplexity(count_model(Xa, Ya, 3, k), Xb, Yb) for k in ks]
        surname_k = ks[scores.index(min(scores))]
        Xt, Yt = windows(s_train)
        Xv, Yv = windows(s_valid)
        surname_trigram_ppl = perplexity(count_model(Xt, Yt, 3, surname_k), Xv, Yv)
        d2l.seed_everything(seed)
        net_s = make_mlp()
        train_mlp(net_s, Xt, Yt, Xv, Yv, num_epochs=3, lr=recipe['lr'], batch_size=recipe['batch_size'])
        surname_mlp_ppl = perplexity(next_char_probs(net_s), Xv, Yv)
        print(', '.join(sample_names(next_char_probs(net_s), 5, np.random.default_rng(1))))"""),
    # counts of substrings with Counter instead of a numpy table
    "answer-6-code": textwrap.dedent("""\
        from collections import Counter

        def ngram_perplexity(train_part, valid_part, n, k):
            W = len(tm_vocab)
            grams = Counter(train_part[i:i + n] for i in range(len(train_part) - n + 1))
            contexts = Counter(train_part[i:i + n - 1] for i in range(len(train_part) - n + 1))
            nll = [-math.log((grams[valid_part[i:i + n]] + k) / (contexts[valid_part[i:i + n - 1]] + k * W))
                   for i in range(len(valid_part) - n + 1)]
            return math.exp(sum(nll) / len(nll))

        split_at = int(0.9 * len(tm_train))
        tm_ppl, tm_k = {'uniform': float(len(tm_vocab))}, {}
        for n, name in ((3, 'trigram'), (2, 'bigram')):
            held = [ngram_perplexity(tm_train[:split_at], tm_train[split_at:], n, k) for k in ks]
            tm_k[name] = ks[held.index(min(held))]
            tm_ppl[name] = ngram_perplexity(tm_train, tm_valid, n, tm_k[name])"""),
}
WRONG = ("answer-1-code",
         "unigram_ppl = math.exp(-np.log(unigram_row[Y_train]).mean())  # scored on the training windows")
