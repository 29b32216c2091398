# Single-level output-space adaptation, GTA5 -> Cityscapes (AdaptSegNet, Tsai et al. CVPR 2018;
# "Ou" in Tsai et al. ICCV 2019: 41.4 mIoU), the reference recipe on one GPU, batch 1 + 1:
#   python tools/train.py configs/output_space/gta2cs_deeplabv2_r101_1xb1.py
# The DeepLab-v2 ResNet-101 of configs/_base_/models/deeplabv2_r101.py, one discriminator on the
# softmax of the final classifier upsampled to the input (align_corners=True, as the
# reference's nn.Upsample), λadv = 0.001. As in AdaptSegNet's single-level setting
# (--lambda-seg 0: the stage-3 classifier gets no loss), no auxiliary classifier. The
# four-branch ASPP variant: ./gta2cs_deeplabv2_r101_aspp4_1xb1.py; 4 GPUs: ./*_4xb1.py.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/gta_to_cityscapes.py',
    '../_base_/schedules/adaptsegnet_150k.py',
    '../_base_/default_runtime.py',
]
model = dict(
    segmentor=dict(auxiliary_head=None),
    adaptations=dict(
        output=dict(
            type='OutputSpaceAdaptation',
            levels=('logits', ),
            loss_weights=(0.001, ),
            gan_type='bce',
            disc_input_size='input',
            align_corners=True,
            discriminator=dict(type='ConvDiscriminator'),
        )),
)
