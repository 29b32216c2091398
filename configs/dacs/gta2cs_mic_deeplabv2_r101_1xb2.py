# DACS + masked image consistency (MIC: Hoyer, Dai, Wang, Van Gool, CVPR 2023), GTA5 ->
# Cityscapes, DeepLab-v2 ResNet-101: ./gta2cs_deeplabv2_r101_1xb2.py with MIC's masked target
# images (../_base_/adaptations/tranheden2021.py `mic`: 64 px blocks, 70 % masked, λ 1, the DACS
# teacher's pseudo labels, MIC's final mode `separatetrgaug`). MIC's 75.9 mIoU is with HRDA and
# the DAFormer MiT-B5 network, its rare-class sampling, ImageNet feature distance, AdamW and
# learning-rate warm-up, none of which is in this config: no published figure for this
# combination. Not trained here.
_base_ = ['./gta2cs_deeplabv2_r101_1xb2.py']
model = dict(adaptations=dict(dacs={{_base_.dacs_mic}}))
