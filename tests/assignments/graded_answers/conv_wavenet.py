"""Other correct answers and one wrong answer for the exercises of conv_wavenet."""

import textwrap

ALTERNATIVES = {
    # receptive field 1 + (k - 1)(2^n - 1) >= 56, solved for n
    "answer-1-code": "layers_needed = {k: int(np.ceil(np.log2((seq_length - 1) / (k - 1) + 1))) for k in (3, 2)}",
    "answer-2-code": {
        framework: textwrap.dedent("""\
            ends = np.arange(4, 112, 3)  # the first step ends on day 4, then every third day
            n_steps = len(ends)
            keeps_last_day = 111 in ends.tolist()
            """) + layer
        for framework, layer in {
            "mxnet": textwrap.dedent("""\
                layer_steps = mx.nd.Convolution(mx.nd.zeros((1, 5, 112)), mx.nd.zeros((8, 5, 5)), kernel=(5,),
                                                stride=(3,), num_filter=8, no_bias=True).shape[2]"""),
            "pytorch": "layer_steps = F.conv1d(torch.zeros(1, 5, 112), torch.zeros(8, 5, 5), stride=3).shape[-1]",
            "tensorflow": textwrap.dedent("""\
                layer_steps = tf.nn.conv1d(tf.zeros((1, 112, 5)), tf.zeros((5, 5, 8)), stride=3,
                                           padding='VALID').shape[1]"""),
        }.items()
    },
    "answer-3-code": {
        framework: "per_block = 2 * 32 * 64 + 32 * 64 + 2 * 64  # two kernels of 2 taps, one 1 x 1, two biases\n"
        + counting
        for framework, counting in {
            "mxnet": textwrap.dedent("""\
                one = GatedBlock(32, 2)
                one.initialize()
                one(mx.nd.zeros((1, 32, 20)))
                block_count = sum(int(np.prod(p.shape)) for p in one.collect_params().values())
                whole = GatedWaveNet()
                whole.initialize()
                whole(mx.nd.zeros((1, seq_length, 5)))
                in_blocks = sum(int(np.prod(p.shape)) for p in whole.blocks.collect_params().values())"""),
            "pytorch": textwrap.dedent("""\
                block_count = sum(p.numel() for p in GatedBlock(32, 1).parameters())
                in_blocks = sum(p.numel() for p in GatedWaveNet().blocks.parameters())"""),
            "tensorflow": textwrap.dedent("""\
                one = GatedBlock(32, 2)
                one(tf.zeros((2, 20, 32)))
                block_count = sum(int(np.prod(w.shape)) for w in one.weights)
                whole = GatedWaveNet()
                whole(tf.zeros((1, seq_length, 5)))
                in_blocks = sum(block.count_params() for block in whole.blocks)"""),
        }.items()
    },
}
WRONG = ("answer-1-code", "layers_needed = {k: n + 1 for k, n in layers_needed.items()}  # one layer too many")
