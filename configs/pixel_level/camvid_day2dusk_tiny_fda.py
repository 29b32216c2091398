# Pixel-level adaptation by FDA (Fourier domain adaptation, Yang & Soatto, CVPR 2020; the
# built-in "Pi" of Tsai et al. ICCV 2019 Tables 2-3, whose Pi is CyCADA-translated images: 42.2
# mIoU on GTA5 -> Cityscapes) on real data, CamVid day -> dusk, on CPU: the model, data, schedule
# and evaluation of configs/source_only/camvid_day2dusk_tiny.py, every day frame (after its flip)
# with the low-frequency amplitude of a random dusk train frame (β = 0.01: the 3x3 lowest
# frequencies of a 240x180 frame, half-size floor(180 * 0.01) = 1; the FDA paper trains with
# 0.01, 0.05 and 0.09). No target image enters the network and nothing adversarial is trained:
# FDA alone.
# Differences from the published recipes: the small from-scratch DeepLabV2 and the 600-iteration
# CPU schedule of the CamVid table instead of DeepLab-v2 ResNet-101 at 150k iterations; no
# entropy loss and no multi-band ensemble / self-training of FDA; the frames are the same size in
# both domains, so no target is resized. With patch alignment: ./camvid_day2dusk_tiny_fda_patch.py.
_base_ = [
    '../source_only/camvid_day2dusk_tiny.py',
    '../_base_/datasets/fda_pipelines.py',
]
train_dataloader = dict(dataset=dict(pipeline={{_base_.camvid_fda_pipeline}}))
