# MMSeg's own SegFormer MiT-B5 (mmseg::segformer/segformer_mit-b5_*: the MiT-B5 encoder with its
# ImageNet weights, the SegFormer all-MLP head, 19 classes), as a plain EncoderDecoder. BatchNorm
# of the head is MMSeg's SyncBN, as in its configs (plain BN on one process). The network
# DAFormer (Hoyer et al., CVPR 2022) builds on: DAFormer's Table 5 studies its training
# strategies on this model before replacing the head with its own.
_base_ = ['mmseg::_base_/models/segformer_mit-b0.py']
checkpoint = 'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/segformer/mit_b5_20220624-658746d9.pth'  # noqa
model = dict(
    backbone=dict(
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint),
        embed_dims=64,
        num_layers=[3, 6, 40, 3]),
    decode_head=dict(in_channels=[64, 128, 320, 512]))
