# Single-level output-space adaptation, GTA5 -> Cityscapes (AdaptSegNet, Tsai et al. CVPR 2018;
# "Ou" in Tsai et al. ICCV 2019: 41.4 mIoU): DeepLabV2 ResNet-101, one discriminator on the
# upsampled softmax of the final classifier, λadv = 0.001. As in AdaptSegNet's single-level
# setting (its --lambda-seg 0), the stage-3 auxiliary classifier is not used.
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
            discriminator=dict(type='ConvDiscriminator'),
        )),
)
