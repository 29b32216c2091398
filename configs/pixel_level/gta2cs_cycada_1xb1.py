# Pixel-level adaptation "Pi", GTA5 -> Cityscapes (Tsai et al. ICCV 2019 Table 2, row Pi: 42.2
# mIoU; no adaptation 36.6), one GPU, batch 1: the single-classifier DeepLab-v2 ResNet-101 of
# configs/source_only/gta2cs_deeplabv2_r101_noaux.py (AdaptSegNet initialisation, optimisation
# and schedule; the classifier of the patch-alignment configs) trained on the 24,966 GTA5 frames
# AND their CyCADA translations into the Cityscapes style, both with the GTA5 labels
# (TranslatedSourceDataset; no Cityscapes image is loaded, no adversarial loss):
#   python tools/train.py configs/pixel_level/gta2cs_cycada_1xb1.py
# Translated images: CyCADA's public GTA5 -> Cityscapes set (Hoffman et al. ICML 2018,
# github.com/jhoffman/cycada_release, "cyclegta5": images/00001.png ...) unpacked so that
#   data/gta_cycada/images/00001.png   pairs with   data/gta/images/00001.png and
#   data/gta/labels/00001_labelTrainIds.png (one-to-one: an unpaired file is an error at start-up).
# Each is resized to its label's size (bilinear, as CyCADA's loader), then follows the GTA5
# pipeline (1280x720). Differences from the published recipe: the paper does not say how the two
# sets are mixed; here each iteration draws uniformly from the union (as many translated images as
# originals), at the same 150k iterations. With patch alignment: ./gta2cs_cycada_patch_1xb1.py;
# the built-in alternative needing no translated set: ./gta2cs_fda_1xb1.py.
_base_ = ['../source_only/gta2cs_deeplabv2_r101_noaux.py']
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='TranslatedSourceDataset',
    source={{_base_.source_train}},
    translated_dir='data/gta_cycada/images',
))
