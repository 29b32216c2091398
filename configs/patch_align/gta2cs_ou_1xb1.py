# Output-space + patch-level alignment, GTA5 -> Cityscapes (Tsai et al. ICCV 2019, "Ou" 41.4 ->
# 43.2 mIoU with patch alignment): gta2cs.py plus the single-level output-space adaptation of
# configs/output_space/gta2cs_deeplabv2_r101.py (ConvDiscriminator on the upsampled softmax of
# the final classifier, λadv = 0.001). Both discriminators are trained by the one
# "discriminator" optimizer (Adam 1e-4).
#
# Modes file (the same as gta2cs.py):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_ou.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
_base_ = ['./gta2cs.py']
model = dict(
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            disc_input_size='input',
            discriminator=dict(type='ConvDiscriminator'),
        )))
