"""Other correct answers and one wrong answer for the exercises of attention."""

import textwrap

ALTERNATIVES = {
    # the entropies from log-softmax, with other random draws
    "answer-1-code": textwrap.dedent("""\
        def entropies(S):
            logp = S - S.max(axis=1, keepdims=True)
            logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
            return -(np.exp(logp) * logp).sum(axis=1)

        draws = np.random.default_rng(123)
        queries, keys = draws.normal(size=(1000, 256)), draws.normal(size=(32, 256))
        entropy_unscaled = entropies(queries @ keys.T).mean()
        entropy_scaled = entropies(queries @ keys.T / 16).mean()
        """),
    # another permutation, through the built-in masks of the page's attention function
    "answer-2-code": {
        framework: setup + textwrap.dedent("""\
            order = np.array([5, 4, 3, 2, 1, 0, 6])
            first, second = run_causal(sequence), run_causal(sequence[order])
            last_diff = np.abs(first[6] - second[6]).max()
            other_diff = max(np.abs(second[i] - first[order[i]]).max() for i in range(6))
            """)
        for framework, setup in {
            "mxnet": textwrap.dedent("""\
                def run_causal(x):
                    return mha(nd.array(x[None]), nd.array(x[None]), nd.array(x[None]),
                               causal_mask(x.shape[0]))[0].asnumpy()
                """),
            "pytorch": textwrap.dedent("""\
                def run_causal(x):
                    with torch.no_grad():
                        t = torch.from_numpy(x[None].copy())
                        return mha(t, t, t, causal_mask(x.shape[0])).squeeze(0).numpy()
                """),
            "tensorflow": textwrap.dedent("""\
                def run_causal(x):
                    t = tf.convert_to_tensor(x[None])
                    return tf.squeeze(mha(t, t, t, causal_mask(x.shape[0])), 0).numpy()
                """),
        }.items()
    },
    # the count as a sum over the pieces, and the framework's count of a fresh block
    "answer-3-code": {
        framework: "d = 56\nformula_count = 4 * (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d) + 2 * 2 * d\n"
        + counting
        for framework, counting in {
            "mxnet": textwrap.dedent("""\
                fresh = DecoderBlock(56, 4)
                fresh.initialize()
                framework_count = sum(int(np.prod(p.shape)) for p in fresh.collect_params().values())"""),
            "pytorch": "framework_count = sum(p.numel() for p in DecoderBlock(56, 4).parameters())",
            "tensorflow": textwrap.dedent("""\
                fresh = DecoderBlock(56, 4)
                fresh(tf.zeros((1, 3, 56)), causal_mask(3))
                framework_count = sum(int(np.prod(w.shape)) for w in fresh.trainable_weights)"""),
        }.items()
    },
    "answer-4-code": "short = scoring_windows(valid_ids, num_steps=16)\nppl_short_context = float(perplexity(lms['char_transformer'], short))",
}
WRONG = ("answer-4-code", "ppl_short_context = perplexity(lms['char_transformer'], valid_windows)  # still 32 characters")
