"""Other correct answers and one wrong answer for the exercises of ridership_multistep.

The networks are trained with the chapter's own `RNNForecaster`, `ready`, `recipe` and
`d2l.fit_forecaster`, for 10 epochs instead of 20 or 30 to keep the grading runs short;
the same code runs in every framework.
"""

import textwrap

ALTERNATIVES = {
    "answer-1-code": textwrap.dedent("""\
        quick = recipe | dict(num_epochs=10)
        rail_bus = {name: multi[name][:, :2] for name in ('train', 'valid')}
        d2l.seed_everything(seed)
        net28 = RNNForecaster(5, 28)
        ready(net28)
        d2l.fit_forecaster(
            net28, d2l.make_windows(multi['train'], seq_length, 14, shuffle=True, targets=rail_bus['train']),
            d2l.make_windows(multi['valid'], seq_length, 14, targets=rail_bus['valid']),
            scale=np.tile([scale['rail'], scale['bus']], 14), plot_every=0, **quick)
        out = d2l.predict(net28, windows)  # rail of day 1, bus of day 1, rail of day 2, ...
        forecasts28 = np.stack([out[:, 0::2], out[:, 1::2]], axis=-1)
        later = np.arange(len(windows))[:, None] + seq_length + np.arange(14)  # the target days
        rail28 = float(np.mean(np.abs(forecasts28[:, :, 0] - multi['valid'][later, 0]))) * scale['rail']
        bus28 = float(np.mean(np.abs(forecasts28[:, :, 1] - multi['valid'][later, 1]))) * scale['bus']"""),
    "answer-2-code": textwrap.dedent("""\
        d2l.seed_everything(seed)
        week_net = ready(RNNForecaster(5, 14))
        d2l.fit_forecaster(
            week_net,
            d2l.make_windows(multi['train'], seq_length, 7, shuffle=True, targets=multi['train'][:, :2]),
            d2l.make_windows(multi['valid'], seq_length, 7, targets=multi['valid'][:, :2]),
            scale=[scale['rail'], scale['bus']] * 7, plot_every=0, **(recipe | dict(num_epochs=10)))
        inputs, rail_weeks = windows, []
        for week in range(2):
            pairs = d2l.predict(week_net, inputs).reshape(len(windows), 7, 2)
            rail_weeks.append(pairs[:, :, 0])
            days = np.concatenate([pairs, calendar[:, 7 * week:7 * week + 7]], axis=-1)
            inputs = np.concatenate([inputs[:, 7:], days], axis=1)
        combined = np.hstack(rail_weeks)
        week_twice = np.abs(combined - targets).mean(axis=0) * scale['rail']"""),
    "answer-3-code": textwrap.dedent("""\
        all_windows = np.lib.stride_tricks.sliding_window_view(multi['valid'], (seq_length, 5))[:, 0]
        tomorrow = d2l.predict(one_step, all_windows)[:, 0]  # the forecast of day j + seq_length
        observed = tomorrow[np.arange(len(windows))[:, None] + np.arange(ahead)]
        one_step_mae = horizon_mae(observed, targets)"""),
    "answer-4-code": textwrap.dedent("""\
        outputs = d2l.predict(seq2seq_net, windows)
        by_step = np.array([
            np.mean(np.abs(outputs[:, s, 0] - multi['valid'][np.arange(len(windows)) + s + 1, 0]))
            for s in range(seq_length)]) * scale['rail']"""),
    "answer-5-code": textwrap.dedent("""\
        predicted = d2l.predict(one_step, test_windows)[:, 0] * scale['rail'] + mean['rail'] * 1e6
        counted = test_targets[:, 0] * scale['rail'] + mean['rail'] * 1e6
        ape = 100 * np.abs(predicted / counted - 1)
        medians = np.median(np.lib.stride_tricks.sliding_window_view(ape, 7), axis=1)
        days = first_day[6:]  # each median dated by the last day of its week
        normal_max = float(medians[days < '2020-03-01'].max())
        first_alarm = str(days[np.argmax(medians > 50)].date())"""),
    "answer-6-code": textwrap.dedent("""\
        windows8 = cut_windows(multi8['valid'])[0]
        d2l.seed_everything(seed)
        calendar_net = ready(RNNForecaster(multi8['train'].shape[1], ahead))
        train_windows = d2l.make_windows(multi8['train'], seq_length, ahead, shuffle=True,
                                         targets=multi8['train'][:, 0])
        valid_windows = d2l.make_windows(multi8['valid'], seq_length, ahead, targets=multi8['valid'][:, 0])
        d2l.fit_forecaster(calendar_net, train_windows, valid_windows, scale=scale['rail'], plot_every=0,
                           **{**recipe, 'num_epochs': 10})
        with_days = horizon_mae(d2l.predict(calendar_net, windows8), targets)"""),
}
# Reshaped series by series instead of day by day: rail and bus forecasts mixed up.
WRONG = ("answer-1-code", "forecasts28 = d2l.predict(net28, windows).reshape(-1, 2, ahead).transpose(0, 2, 1)")
