# Patch-level alignment, GTA5 -> Cityscapes (Tsai, Sohn, Schulter, Chandraker, ICCV 2019: 41.3
# mIoU; no adaptation 36.6), the paper's recipe on one GPU with batch 1 (source) + 1 (target):
#   python tools/train.py configs/patch_align/gta2cs_1xb1.py      (or configs/patch_align/gta2cs.py)
# DeepLab-v2 ResNet-101 as AdaptSegNet trains it (configs/_base_/models/deeplabv2_r101.py:
# DeepLab ImageNet + COCO initialisation, BGR Caffe-mean input, frozen-affine BatchNorm with batch
# statistics, ASPP 6 + 12, single classifier), the patch-cluster head H on the segmentation
# output, Ld with λd = 0.01 on source patches, an FCDiscriminator {256, 512, 1} on the K = 50 dim
# patch representations with λadv = 0.0005, the AdaptSegNet schedule (SGD 2.5e-4 / Adam 1e-4,
# poly 0.9 over 250k iterations, stopped at 150k); the first 10k iterations use Ls only.
# docs/reproduction.md lists every setting next to the paper and the reference code.
#
# Modes file (K-means over the GTA5 training label maps, as the training pipeline resizes them):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
#
# Patch size 32x32 input pixels (our choice; the paper's value is in its supplement, which we
# could not find): 22x40 patches per 1280x720 source input (the bottom 16 rows are cropped).
# With output stride 8 a patch is about 4x4 logit cells and each of its 2x2 descriptor cells
# about 2x2 (the ceil-mode stem pooling of DeepLab-v2 gives 91x161 logits for 1280x720, one more
# row and column than 720/8 x 1280/8; the patch grid covers the first 89x161 of them and H's
# adaptive pooling spreads them over the 44x80 descriptor cells).
# Model, schedule and patch alignment: _base_/adaptations/tsai2019_deeplabv2_r101.py.
_base_ = [
    '../_base_/adaptations/tsai2019_deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
]
modes_file = 'work_dirs/patch_modes/gta2cs_k50.pth'
model = dict(
    adaptations=dict(patch=dict(modes_file=modes_file)))
