# FDA + patch-level alignment, GTA5 -> Cityscapes (Tsai et al. ICCV 2019 Table 2 row Pi with
# patch alignment, there with CyCADA images: 42.2 -> 44.9 mIoU): configs/patch_align/
# gta2cs_1xb1.py (paper recipe, one GPU, batch 1 + 1) with the FDA source images of
# ./gta2cs_fda_1xb1.py (β = 0.01, a random Cityscapes train image each), seen by the
# segmentation loss, Ld and the patch discriminator's source side:
#   python tools/train.py configs/pixel_level/gta2cs_fda_patch_1xb1.py
# Modes file: the GTA5 one (same labels):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
# Differences from the published recipe: those of ./gta2cs_fda_1xb1.py and
# configs/patch_align/gta2cs_1xb1.py. Another Cityscapes location: override
# train_dataloader.dataset.source.pipeline.3.target_dir as well.
_base_ = ['../patch_align/gta2cs_1xb1.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(source=dict(pipeline={{_base_.gta_fda_pipeline}})))
