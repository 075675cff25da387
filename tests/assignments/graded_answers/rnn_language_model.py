"""Other correct answers and one wrong answer for the exercises of rnn_language_model."""

import textwrap

ALTERNATIVES = {
    # Exercise 1: the summed cross-entropy of every block, each block read from zeros
    "answer-1-code": {
        "mxnet": textwrap.dedent("""\
            def zero_state_ppl(model):
                nll = []
                for inputs, targets in stream_blocks(valid_ids, 16, 32):
                    out, _ = model(nd.array(inputs))  # a new state of zeros for every block
                    nll.append(-nd.pick(nd.log_softmax(out), nd.array(targets)).asnumpy().ravel())
                return float(np.exp(np.concatenate(nll).mean()))

            fresh_state_ppl = {'LSTM': zero_state_ppl(gated['lstm']), 'RNN': zero_state_ppl(scratch)}"""),
        "pytorch": textwrap.dedent("""\
            def zero_state_ppl(model):
                nll, count = 0.0, 0
                with torch.no_grad():
                    for inputs, targets in stream_blocks(valid_ids, 16, 32):
                        out, _ = model(torch.as_tensor(inputs), None)  # a new state of zeros
                        nll += F.cross_entropy(out.flatten(0, 1), torch.as_tensor(targets).flatten(),
                                               reduction='sum').item()
                        count += targets.size
                return math.exp(nll / count)

            fresh_state_ppl = {'LSTM': zero_state_ppl(gated['lstm']), 'RNN': zero_state_ppl(scratch)}"""),
        "tensorflow": textwrap.dedent("""\
            def zero_state_ppl(model):
                nll = [tf.nn.sparse_softmax_cross_entropy_with_logits(
                           targets, model(tf.constant(inputs), model.begin_state(16))[0]).numpy().ravel()
                       for inputs, targets in stream_blocks(valid_ids, 16, 32)]
                return float(np.exp(np.concatenate(nll).mean()))

            fresh_state_ppl = {'LSTM': zero_state_ppl(gated['lstm']), 'RNN': zero_state_ppl(scratch)}"""),
    },
    # Exercise 2: one loop over the distance d, vectorized over the steps s; the full
    # gradient from the backward recursion of the main text
    "answer-2-code": textwrap.dedent("""\
        def window_errors(params, X, Y):
            W_hh, W_hq = params[1], params[3]
            B, T = X.shape
            states, logits = rnn_forward(params, X)
            states = np.stack(states)  # (T + 1, B, h): h_0 .. h_T
            # G[j] = dl_s/dh_t for t = j + 1 and s = t + d, starting with d = 0
            G = np.stack([output_grad(logits[j], Y[:, j]) for j in range(T)]) @ W_hq.T / (B * T)
            by_distance = []
            for d in range(T):
                D = G * (1 - states[1:T - d + 1] ** 2)
                by_distance.append(np.einsum('tbi,tbj->ij', states[:T - d], D))
                G = (D @ W_hh.T)[1:]  # one step further back; t = 1 has nowhere to go
            full = bptt(params, X, Y)[1]
            windows = np.cumsum(by_distance, axis=0)
            return np.array([np.linalg.norm(w - full) for w in windows]) / np.linalg.norm(full)

        tiny_errors = window_errors(tiny_params, X_tiny, Y_tiny)
        trained_errors = window_errors(scratch_params, X_stretch, Y_stretch)"""),
    # Exercise 3: a new float32 network, weights loaded by name, gradients asked for directly
    "answer-3-code": {
        "mxnet": textwrap.dedent("""\
            model = RNNScratch(V, 8)
            model.initialize(mx.init.Zero())
            weights = list(model.collect_params().values())
            for weight, value in zip(weights, tiny_params):
                weight.set_data(nd.array(value.astype(np.float32), dtype='float32'))
            with autograd.record():
                out, _ = model(nd.array(X_tiny))
                loss = -nd.log_softmax(out).pick(nd.array(Y_tiny)).mean()
            loss.backward()
            grads32 = [w.grad().asnumpy() for w in weights]
            float32_diff = max(float(np.max(np.abs(g - d))) for g, d in zip(grads32, derived))"""),
        "pytorch": textwrap.dedent("""\
            model = RNNScratch(V, 8)
            model.load_state_dict({name: torch.tensor(value, dtype=torch.float32)
                                   for name, value in zip(param_names, tiny_params)})
            out, _ = model(torch.as_tensor(X_tiny))
            loss = F.cross_entropy(out.reshape(-1, V), torch.as_tensor(Y_tiny).reshape(-1))
            grads32 = [g.numpy() for g in torch.autograd.grad(loss, list(model.parameters()))]
            float32_diff = max(float(np.max(np.abs(g - d))) for g, d in zip(grads32, derived))"""),
        "tensorflow": textwrap.dedent("""\
            with tf.device('/CPU:0'):
                model = RNNScratch(V, 8)
                for var, value in zip(model.trainable_variables, tiny_params):
                    var.assign(tf.constant(value, dtype=tf.float32))
                with tf.GradientTape() as tape:
                    out, _ = model(tf.constant(X_tiny))
                    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(Y_tiny, out)
                grads32 = [tf.convert_to_tensor(g).numpy()
                           for g in tape.gradient(loss, model.trainable_variables)]
            float32_diff = max(float(np.max(np.abs(g - d))) for g, d in zip(grads32, derived))"""),
    },
    # Exercise 4: another prefix and another generator, the words counted with a Counter
    "answer-4-code": textwrap.dedent("""\
        from collections import Counter

        training_words = set(text[:split].split())
        lstm_step = next_token(gated['lstm'])
        rng = np.random.default_rng(2024)
        samples, word_stats = {}, {}
        for temp in (1.5, 1.0, 0.7, 0.3):
            samples[temp] = generate(lstm_step, 'it was ', 600, temp, rng)
            counts = Counter(samples[temp].split())
            in_book = sum(n for word, n in counts.items() if word in training_words)
            word_stats[temp] = (in_book / sum(counts.values()), len(counts))"""),
}
WRONG = ("answer-2-code", "tiny_errors = tiny_errors[::-1]  # windows from 10 down to 1: not the order asked for")
