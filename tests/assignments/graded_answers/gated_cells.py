"""Other correct answers and one wrong answer for the exercises of gated_cells."""

import textwrap

ALTERNATIVES = {
    "answer-1-code": textwrap.dedent("""\
        forget = 1 / (1 + np.exp(-np.array([0.0, 1.0, 3.0])))  # sigma(b) for b = 0, 1, 3
        survival_fractions = np.power.outer(forget, memory_grid)"""),
    "answer-2-code": {
        framework: textwrap.dedent("""\
            formula_counts = {}
            for cell_name, num_gates in {'GRU': 3, 'LSTM': 4}.items():
                for num_biases in (2, 1):
                    formula_counts[cell_name, num_biases] = num_gates * 32 * (5 + 32 + num_biases)
            """) + counting
        for framework, counting in {
            "mxnet": textwrap.dedent("""\
                layer_counts = {'GRU': sum(int(np.prod(p.shape)) for p in gru.collect_params().values()),
                                'LSTM': sum(int(np.prod(p.shape)) for p in lstm.collect_params().values())}"""),
            "pytorch": textwrap.dedent("""\
                layer_counts = {'GRU': nn.utils.parameters_to_vector(gru.parameters()).numel(),
                                'LSTM': nn.utils.parameters_to_vector(lstm.parameters()).numel()}"""),
            "tensorflow": textwrap.dedent("""\
                layer_counts = {'GRU': sum(int(np.prod(w.shape)) for w in gru.trainable_weights),
                                'LSTM': sum(int(np.prod(w.shape)) for w in lstm.trainable_weights)}"""),
        }.items()
    },
    "answer-3-code": textwrap.dedent("""\
        grad = np.array([3.0, 0.5])
        by_value = np.minimum(np.maximum(grad, -1.0), 1.0)
        by_norm = grad / max(1.0, np.sqrt(grad @ grad))"""),
    "answer-4-code": {
        framework: textwrap.dedent(f"""\
            plain_lstm = train_and_score('LSTM without dropout', lambda: {layer}, input_dropout=0)
            errors = horizon_mae(d2l.predict(plain_lstm, windows)[:, -1], targets)
            no_dropout_t14, no_dropout_t1 = errors[-1], errors[0]""")
        for framework, layer in {
            "mxnet": "gluon.rnn.LSTM(hidden_size=32, layout='NTC', input_size=5)",
            "pytorch": "nn.LSTM(input_size=5, hidden_size=32, batch_first=True)",
            "tensorflow": "tf.keras.layers.LSTM(units=32, return_sequences=True)",
        }.items()
    },
}
WRONG = ("answer-3-code", "by_value = g / np.abs(g).max()  # rescaled so that the largest is 1, not cut")
