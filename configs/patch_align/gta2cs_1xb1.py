# Patch-level alignment, GTA5 -> Cityscapes (Tsai, Sohn, Schulter, Chandraker, ICCV 2019: 41.3
# mIoU; no adaptation 36.6): DeepLabV2 ResNet-101 (single classifier, no auxiliary head), the
# patch-cluster head H on the segmentation output, Ld with λd = 0.01 on source patches, an
# FCDiscriminator {256, 512, 1} on the K = 50 dim patch representations with λadv = 0.0005, the
# AdaptSegNet schedule (SGD 2.5e-4 / Adam 1e-4, poly 0.9, 150k iterations); the first 10k
# iterations use Ls only.
#
# Modes file (K-means over the GTA5 training label maps, as the training pipeline resizes them):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
#
# Patch size 32x32 input pixels (our choice): in the paper each cell of H's pooled map is one
# patch of the output space. With DeepLabV2's output stride 8, a 32x32 patch is 4x4 logit cells
# and each of its 2x2 descriptor cells (16x16 pixels) is 2x2 logit cells, so the patch grid lies
# exactly on the output grid: the 1280x720 source input gives 22x40 patches (the bottom 16 rows
# are cropped, 704 = 88 * 8 is still a whole number of logit rows).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
modes_file = 'work_dirs/patch_modes/gta2cs_k50.pth'
model = dict(
    warmup_iters=10000,
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(
        patch=dict(
            type='PatchAlignment',
            modes_file=modes_file,
            patch_size=32,
            grid=(2, 2),
            num_modes=50,
            loss_weight_cluster=0.01,
            loss_weight_adv=0.0005,
            gan_type='bce',
            discriminator=dict(type='FCDiscriminator'),
        )),
)
