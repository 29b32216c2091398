# Built-in pixel-level adaptation by FDA (Yang & Soatto, CVPR 2020), GTA5 -> Cityscapes, one GPU,
# batch 1: Pi without a translated set (Tsai et al. ICCV 2019 Table 2 row Pi, with CyCADA images,
# is 42.2 mIoU; no adaptation 36.6). configs/source_only/gta2cs_deeplabv2_r101_noaux.py with
# every GTA5 frame, after its resize to 1280x720, given the low-frequency amplitude of a random
# Cityscapes train image (resized bicubic to 1280x720, aspect ratio not kept): β = 0.01, the
# 15x15 lowest frequencies (half-size floor(720 * 0.01) = 7):
#   python tools/train.py configs/pixel_level/gta2cs_fda_1xb1.py
# Cityscapes images are only read by the FDA step (never forwarded, no adversarial loss); with
# another Cityscapes location override target_dir too (train_dataloader.dataset.pipeline.3).
# Differences from the published recipes: Pi here replaces every source image by its FDA
# version instead of adding CyCADA images to the originals; FDA's own training (its train.py:
# 1024x512 crops of both domains, entropy loss after 50k iterations, three β models averaged,
# then self-training) is not reproduced, only its image transfer, on the AdaptSegNet schedule.
# With patch alignment: ./gta2cs_fda_patch_1xb1.py.
_base_ = ['../source_only/gta2cs_deeplabv2_r101_noaux.py', '../_base_/datasets/fda_pipelines.py']
train_dataloader = dict(dataset=dict(pipeline={{_base_.gta_fda_pipeline}}))
