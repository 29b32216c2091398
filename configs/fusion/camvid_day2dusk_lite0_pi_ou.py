# Pixel-level + output-space adaptation ("Pi + Ou", Tsai et al. ICCV 2019 Sec. 4.2), CamVid
# day -> dusk, from ImageNet: configs/output_space/camvid_day2dusk_lite0.py (λadv 0.001 on the
# head's output, 1000 source-only iterations) with the FDA day frames of
# configs/pixel_level/camvid_day2dusk_lite0_fda.py as the labelled source: the segmentation loss
# and the discriminator's source side see them. The primitive of this folder's CamVid configs:
# ./camvid_day2dusk_lite0_fusion.py adds Ps, ./camvid_day2dusk_lite0_fusion_patch.py patch
# alignment on top.
_base_ = ['../output_space/camvid_day2dusk_lite0.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(source=dict(pipeline={{_base_.camvid_fda_pipeline}})))
