"""``python -m nnbook.distributed``: the training script of `nnbook.distributed.train_ddp`, run under ``torchrun``."""

import runpy

if __name__ == "__main__":
    runpy.run_module("nnbook.distributed.train_ddp", run_name="__main__", alter_sys=True)
