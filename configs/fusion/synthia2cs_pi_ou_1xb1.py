# Pixel-level + output-space adaptation ("Pi + Ou"), SYNTHIA -> Cityscapes, one GPU, batch 1 + 1:
# configs/output_space/synthia2cs_deeplabv2_r101_1xb1.py (Ou: 39.5 mIoU over 16 classes in Tsai
# et al. ICCV 2019 Table 3) with SYNTHIA and its translations as the labelled source
# (data/synthia_translated, layout and the missing public set: configs/pixel_level/
# synthia2cs_cycada_1xb1.py). Evaluation: mIoU, mIoU16, mIoU13. The primitive of this folder's
# SYNTHIA configs: ./synthia2cs_fusion_1xb1.py adds Ps, ./synthia2cs_fusion_patch_1xb1.py patch
# alignment.
_base_ = ['../output_space/synthia2cs_deeplabv2_r101_1xb1.py']
train_dataloader = dict(dataset=dict(source=dict(
    _delete_=True, type='TranslatedSourceDataset', source={{_base_.source_train}},
    translated_dir='data/synthia_translated')))
