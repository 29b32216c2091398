# Pixel-level adaptation by FDA (Yang & Soatto, CVPR 2020; the built-in "Pi" of Tsai et al. ICCV
# 2019 Tables 2-3, there CyCADA images: 42.2 mIoU on GTA5 -> Cityscapes) on real data, CamVid
# day -> dusk, from ImageNet: configs/source_only/camvid_day2dusk_lite0.py (EfficientNet-Lite0
# DeepLabV2, frozen BatchNorm, 1250 iterations of batch 8) with every day frame given the
# low-frequency amplitude of a random dusk train frame after its flip (β = 0.01, the FDA step of
# ./camvid_day2dusk_tiny_fda.py). No target image enters the network. Differences from the
# published recipes: those of ./camvid_day2dusk_tiny_fda.py, on the Lite0 model and schedule.
# With patch alignment: ./camvid_day2dusk_lite0_fda_patch.py.
_base_ = ['../source_only/camvid_day2dusk_lite0.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(pipeline={{_base_.camvid_fda_pipeline}}))
