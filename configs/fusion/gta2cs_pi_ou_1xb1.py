# Pixel-level + output-space adaptation ("Pi + Ou", the combination Tsai et al. ICCV 2019 discuss
# next to Table 2; Ou alone 41.4, Pi alone 42.2 mIoU), GTA5 -> Cityscapes, one GPU, batch 1 + 1:
# configs/output_space/gta2cs_deeplabv2_r101_1xb1.py (AdaptSegNet single level, λadv 0.001)
# with the labelled source of configs/pixel_level/gta2cs_cycada_1xb1.py: GTA5 and its CyCADA
# translations (data/gta_cycada/images, layout there), both with the GTA5 labels:
#   python tools/train.py configs/fusion/gta2cs_pi_ou_1xb1.py
# The primitive of this folder's GTA5 configs: ./gta2cs_fusion_1xb1.py adds Ps and
# ./gta2cs_fusion_patch_1xb1.py patch alignment. Differences from the paper: those of both
# parents (the paper does not say how translated and original images are mixed; here uniformly).
_base_ = ['../output_space/gta2cs_deeplabv2_r101_1xb1.py']
train_dataloader = dict(dataset=dict(source=dict(
    _delete_=True, type='TranslatedSourceDataset', source={{_base_.source_train}},
    translated_dir='data/gta_cycada/images')))
