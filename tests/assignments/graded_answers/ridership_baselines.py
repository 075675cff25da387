"""Other correct answers and one wrong answer for the exercises of ridership_baselines."""

import textwrap

ALTERNATIVES = {
    # pandas' diff instead of shift, the 95 targets from the float32 validation array
    "answer-1-code": textwrap.dedent("""\
        series = df[['bus', 'rail']]
        lag_maes = {}
        for lag in (364, 7, 1):
            lag_maes[lag] = dict(series.diff(lag).loc['2019-03-01':'2019-05-31'].abs().mean())
        week_before = rail_valid[seq_length - 7:-7]  # the day 7 days before each target
        valid_naive_mae = float(np.abs(rail_valid[seq_length:] - week_before).mean() * 1e6)"""),
    # a loop that remembers the last day of each type, instead of groupby
    "answer-2-code": textwrap.dedent("""\
        last_of_type, rows = {}, []
        for day, day_type, bus_count, rail_count in df[['day_type', 'bus', 'rail']].itertuples():
            rows.append(last_of_type.get(day_type, (np.nan, np.nan)))
            last_of_type[day_type] = (bus_count, rail_count)
        previous = pd.DataFrame(rows, index=df.index, columns=['bus', 'rail'])
        errors = (df[['bus', 'rail']] - previous).loc['2019-03':'2019-05'].abs()
        same_type_mae = {'bus': errors['bus'].mean(), 'rail': errors['rail'].mean()}
        memorial_forecast = previous.loc['2019-05-27', 'rail']"""),
    # SARIMAX and results.append (new observations, same parameters), three candidates
    "answer-3-code": textwrap.dedent("""\
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        spring = rail['2019-03-01':'2019-05-31']
        grid_scores = {}
        for o, so in [((1, 1, 1), (0, 1, 1, 7)), ((1, 0, 0), (0, 1, 1, 7)), ((0, 0, 0), (0, 1, 0, 7))]:
            res = SARIMAX(rail['2019-01-01':'2019-02-28'], order=o, seasonal_order=so).fit(disp=False)
            pred = res.append(spring).predict(start=spring.index[0], end=spring.index[-1])
            grid_scores[(o, so)] = (float(np.mean(np.abs(pred - spring))), res.aic)
        ranked_mae = sorted(grid_scores, key=lambda k: grid_scores[k][0])
        ranked_aic = sorted(grid_scores, key=lambda k: grid_scores[k][1])
        best_by_mae, best_by_aic = ranked_mae[0], ranked_aic[0]"""),
    # SARIMAX instead of ARIMA, get_forecast instead of forecast
    "answer-4-code": textwrap.dedent("""\
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        bus_series = df['bus'].asfreq('D').loc['2019-01-01':'2019-05-31']
        res = SARIMAX(bus_series, order=(1, 0, 0), seasonal_order=(0, 1, 1, 7)).fit(disp=False)
        bus_phi, bus_theta = res.params['ar.L1'], res.params['ma.S.L7']
        bus_forecast = res.get_forecast(1).predicted_mean.iloc[0]"""),
    # the start computed from the first target, the windows counted with window_table
    "answer-5-code": textwrap.dedent("""\
        first_target = valid_dates[seq_length]
        start = first_target - pd.DateOffset(days=112)
        rail_valid_112 = np.asarray(rail_millions[start:'2019-05-31'], dtype=np.float32)
        n_long = len(window_table(rail_valid_112, 112)[1])
        n_test = len(rail_test) - seq_length"""),
    # no loader: the windows straight from the framework's own object
    "answer-6-code": {
        "mxnet": textwrap.dedent("""\
            from mxnet import nd

            class SlicedWindows(gluon.data.Dataset):
                def __init__(self, series, width):
                    self.data, self.width = nd.array(series), width

                def __len__(self):
                    return self.data.shape[0] - self.width

                def __getitem__(self, i):
                    run = nd.slice_axis(self.data, axis=0, begin=i, end=i + self.width + 1)
                    return run[:self.width], run[self.width:]

            dataset = SlicedWindows(rail_valid, seq_length)
            X2 = np.stack([dataset[i][0].asnumpy() for i in range(len(dataset))])
            Y2 = np.stack([dataset[i][1].asnumpy() for i in range(len(dataset))])"""),
        "pytorch": textwrap.dedent("""\
            runs = torch.from_numpy(rail_valid).unfold(0, seq_length + 1, 1)
            X2, Y2 = runs[:, :seq_length].numpy().copy(), runs[:, seq_length:].numpy().copy()"""),
        "tensorflow": textwrap.dedent("""\
            unbatched = tf.keras.utils.timeseries_dataset_from_array(
                rail_valid[:-1], targets=rail_valid[seq_length:], sequence_length=seq_length,
                batch_size=None)
            pairs = list(unbatched.as_numpy_iterator())
            X2 = np.stack([window for window, _ in pairs])
            Y2 = np.stack([target for _, target in pairs])[:, None]"""),
    },
}
WRONG = ("answer-3-code", "best_by_aic = best_by_mae  # the MAE winner taken for the AIC winner")
