"""Other correct answers and one wrong answer for the exercises of ridership_rnns."""

import textwrap

# Exercise 2: the series in millions read from the DataFrame itself, not un-standardized;
# only the network differs between the frameworks.
_UNSCALED = textwrap.dedent("""\
    in_millions = (df['rail'] / 1e6).astype(np.float32)
    train_m = in_millions['2016-01':'2018-12'].to_numpy()
    valid_m = in_millions['2019-01':'2019-05'].to_numpy()
    d2l.seed_everything(seed)
    loader = d2l.make_windows(train_m, seq_length, shuffle=True)
    {net}
    unscaled_mae = d2l.fit_forecaster(net, loader, d2l.make_windows(valid_m, seq_length),
                                      num_epochs=30, lr=0.005, delta=0.1, scale=1_000_000,
                                      ylabel='MAE (riders)', plot_every=0)""")

ALTERNATIVES = {
    # the shapes of the parameter arrays, another order of the networks
    "answer-1-code": {
        "mxnet": textwrap.dedent("""\
            nets = {'multivariate': mv, 'deep RNN': deep, 'simple RNN': rnn, 'linear': linear}
            param_counts = {name: sum(int(np.prod(p.shape)) for p in net.collect_params().values())
                            for name, net in nets.items()}"""),
        "pytorch": textwrap.dedent("""\
            nets = {'multivariate': mv, 'deep RNN': deep, 'simple RNN': rnn, 'linear': linear}
            param_counts = {name: sum(t.numel() for t in net.state_dict().values())
                            for name, net in nets.items()}"""),
        "tensorflow": textwrap.dedent("""\
            nets = {'multivariate': mv, 'deep RNN': deep, 'simple RNN': rnn, 'linear': linear}
            param_counts = {name: net.count_params() for name, net in nets.items()}"""),
    },
    "answer-2-code": {
        "mxnet": _UNSCALED.format(net="net = nn.Sequential()\nnet.add(nn.Dense(1))\nnet.initialize()"),
        "pytorch": _UNSCALED.format(net="net = nn.Sequential(nn.Linear(seq_length, 1))"),
        "tensorflow": _UNSCALED.format(
            net="net = tf.keras.Sequential([tf.keras.Input((seq_length,)), tf.keras.layers.Dense(1)])"),
    },
    # pandas' diff on the counts in riders
    "answer-3-code": textwrap.dedent("""\
        test_counts = df.loc['2019-06':'2020-02', 'rail']
        naive_test_mae = float(test_counts.diff(7).iloc[seq_length:].abs().mean())"""),
}
WRONG = ("answer-3-code",
         "naive_test_mae = float((targets - test_rail.shift(1).iloc[seq_length:]).abs().mean())  # yesterday")
