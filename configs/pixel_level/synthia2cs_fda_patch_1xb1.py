# FDA + patch-level alignment, SYNTHIA -> Cityscapes: configs/patch_align/synthia2cs_1xb1.py
# (Tsai et al. ICCV 2019 Table 3: 33.5 -> 37.0 mIoU16 with patch alignment; no Pi row is published
# for SYNTHIA) with the FDA source images of ./synthia2cs_fda_1xb1.py (β = 0.01).
# Modes file: the SYNTHIA one (same labels):
#   python tools/build_patch_modes.py configs/patch_align/synthia2cs_1xb1.py \
#       --out work_dirs/patch_modes/synthia2cs_k50.pth
_base_ = ['../patch_align/synthia2cs_1xb1.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(source=dict(pipeline={{_base_.synthia_fda_pipeline}})))
