"""Runs the PyTorch anchor `../shared/anchors/torch_dcgan.py --loss wgan-gp`, optionally with its
gradient penalty replaced by zero (`--no-gp`), to time the penalty's overhead side by side with
ganc (`scripts/bench_wgan_gp.sh`). Every other argument goes to the anchor unchanged.

    python3 scripts/torch_wgan_gp.py ANCHOR.py [--no-gp] ARGS...
"""

import importlib.util
import sys

import torch

anchor_path, rest = sys.argv[1], sys.argv[2:]
spec = importlib.util.spec_from_file_location("anchor", anchor_path)
anchor = importlib.util.module_from_spec(spec)
spec.loader.exec_module(anchor)
if "--no-gp" in rest:
    rest.remove("--no-gp")
    anchor.gradient_penalty = lambda D, real, fake: torch.zeros((), device=real.device)
sys.argv = [anchor_path] + rest
anchor.main()
