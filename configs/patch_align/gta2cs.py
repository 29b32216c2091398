# Short name of ./gta2cs_1xb1.py: patch-level alignment, GTA5 -> Cityscapes, the paper's recipe
# on one GPU with batch 1 + 1 (Tsai et al., ICCV 2019). 4 GPUs: ./gta2cs_4xb1.py.
_base_ = ['./gta2cs_1xb1.py']
