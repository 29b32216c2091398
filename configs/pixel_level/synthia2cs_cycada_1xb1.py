# Pixel-level adaptation "Pi", SYNTHIA -> Cityscapes: ./gta2cs_cycada_1xb1.py with SYNTHIA-RAND-
# CITYSCAPES (1280x760) as source, on configs/source_only/synthia2cs_deeplabv2_r101_noaux.py.
# Tsai et al. ICCV 2019 Table 3 (16 classes; /work/shared/DESIGN.md) gives no adaptation 33.5,
# Ou 39.5 and Fusion 37.9 (whose Pi part this is) but no Pi row of its own to compare with.
# Translated images: we know of no public CyCADA set for SYNTHIA (the release we cite covers
# GTA5 -> Cityscapes); translate the images yourself (e.g. CycleGAN as in CyCADA) into
#   data/synthia_translated/0000000.png   paired with   data/synthia/RGB/0000000.png and its
#   label data/synthia/GT/LABELS/0000000_labelTrainIds.png (SynthiaDataset; one-to-one, checked).
# Images of another size are resized to the label's (bilinear). Evaluation: mIoU, mIoU16, mIoU13.
_base_ = ['../source_only/synthia2cs_deeplabv2_r101_noaux.py']
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='TranslatedSourceDataset',
    source={{_base_.source_train}},
    translated_dir='data/synthia_translated',
))
