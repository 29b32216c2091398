# DAFormer's strategies on SegFormer MiT-B5 (./daformer_segformer_mit-b5_gta2cs_1xb2.py) plus
# MIC's masked target images (Hoyer, Dai, Wang, Van Gool, CVPR 2023: 64 px blocks, 70 % masked,
# λ 1, sharing the α 0.999 teacher). MIC reports DAFormer + MIC and HRDA + MIC (75.9 mIoU) with
# DAFormer's own decoder and, for HRDA, multi-resolution training, neither of which is here: no
# published figure for this network. Not trained here.
_base_ = ['./daformer_segformer_mit-b5_gta2cs_1xb2.py']
model = dict(adaptations=dict(dacs=dict(masked_consistency={{_base_.mic}})))
