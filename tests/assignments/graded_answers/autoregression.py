"""Other correct answers and one wrong answer for the exercises of autoregression."""

import textwrap

ALTERNATIVES = {
    "answer-1-code": textwrap.dedent("""\
        def fit(series, order, epochs=num_epochs, hiddens=10):
            d2l.seed_everything(seed)
            feats, labs = make_pairs(series, order)
            keep = n_observed - order
            return train(get_net(order, hiddens), d2l.load_array((feats[:keep], labs[:keep]), batch_size),
                         epochs, lr)

        def errors_of(net, series, order, ks=(1, 16, 64)):
            preds = k_step_on_targets(lambda w: predict(net, w), series, order, max_k, targets)
            return [mse(preds[:, k - 1], series[targets]) for k in ks]

        order_errors = {order: errors_of(fit(x, order), x, order) for order in (16, 4, 1)}"""),
    "answer-2-code": textwrap.dedent("""\
        smooth = clean.astype(np.float32)
        clean_errors = dict(zip(steps, errors_of(fit(smooth, tau), smooth, tau, steps)))"""),
    "answer-3-code": textwrap.dedent("""\
        def design(series):
            f, l = make_pairs(np.asarray(series, np.float64), tau)
            return np.hstack([f[:n_train], np.ones((n_train, 1))]), l[:n_train, 0]

        A, b = design(x)
        coef = np.linalg.solve(A.T @ A, A.T @ b)  # the normal equations
        A, b = design(clean)
        w_clean = np.linalg.pinv(A) @ b  # the clean sine's lags are collinear
        preds = k_step_on_targets(lambda w: np.asarray(w, np.float64) @ w_clean[:-1] + w_clean[-1],
                                  clean, tau, max_k, targets)
        clean_linear_mse = float(np.mean((preds[:, -1] - clean[targets]) ** 2))"""),
    "answer-4-code": textwrap.dedent("""\
        variant_errors = {}
        for name, net in (('50 hidden', fit(x, tau, hiddens=50)), ('20 epochs', fit(x, tau, epochs=20))):
            train_mse = mse(predict(net, features[:n_train]), labels[:n_train, 0])
            variant_errors[name] = [train_mse, *errors_of(net, x, tau)]"""),
    "answer-5-code": textwrap.dedent("""\
        lead = tau + 15  # the label of window i is x[i + lead]
        keep = n_observed - lead
        d2l.seed_everything(seed)
        net16 = train(get_net(), d2l.load_array((features[:keep], x[lead:lead + keep].reshape(-1, 1)), batch_size),
                      num_epochs, lr)
        direct_mse = mse(predict(net16, features[targets - lead]), x[targets])"""),
    "answer-7-code": textwrap.dedent("""\
        def residual(series):
            f, l = make_pairs(np.asarray(series, np.float64), tau)
            A = np.hstack([f, np.ones((len(f), 1))])
            return float(np.mean((A @ (np.linalg.pinv(A) @ l[:, 0]) - l[:, 0]) ** 2))

        forward_mse, backward_mse = residual(x), residual(x[::-1])"""),
}
WRONG = ("answer-3-code", "coef = coef[::-1]  # bias first: not the fit asked for")
