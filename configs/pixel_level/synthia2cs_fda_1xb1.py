# Built-in pixel-level adaptation by FDA, SYNTHIA -> Cityscapes: ./gta2cs_fda_1xb1.py on
# configs/source_only/synthia2cs_deeplabv2_r101_noaux.py, SYNTHIA frames at 1280x760 (β = 0.01:
# half-size floor(760 * 0.01) = 7, 15x15 frequencies), Cityscapes train images resized bicubic to
# 1280x760. Tsai et al. ICCV 2019 Table 3 (16 classes, /work/shared/DESIGN.md) has no Pi row for
# SYNTHIA: no adaptation 33.5, Ou 39.5, Fusion 37.9. Differences: those of ./gta2cs_fda_1xb1.py.
# With patch alignment: ./synthia2cs_fda_patch_1xb1.py.
_base_ = [
    '../source_only/synthia2cs_deeplabv2_r101_noaux.py',
    '../_base_/datasets/fda_pipelines.py',
]
train_dataloader = dict(dataset=dict(pipeline={{_base_.synthia_fda_pipeline}}))
