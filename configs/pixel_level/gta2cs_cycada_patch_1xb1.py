# Pixel-level adaptation + patch-level alignment, GTA5 -> Cityscapes (Tsai et al. ICCV 2019
# Table 2, row Pi with patch alignment: 42.2 -> 44.9 mIoU): configs/patch_align/gta2cs_1xb1.py
# (the paper's recipe on one GPU, batch 1 + 1; 10k Ls-only iterations, then Ld and the patch
# adversarial loss) with the labelled source of ./gta2cs_cycada_1xb1.py: GTA5 and its CyCADA
# translations (data/gta_cycada/images, layout there), both with the GTA5 labels, so the
# segmentation loss, the patch clustering Ld and the discriminator's source side all see them:
#   python tools/train.py configs/pixel_level/gta2cs_cycada_patch_1xb1.py
# Modes file: the GTA5 one of configs/patch_align/gta2cs_1xb1.py serves (the translated images
# carry the same labels, so the label histograms only repeat):
#   python tools/build_patch_modes.py configs/patch_align/gta2cs_1xb1.py \
#       --out work_dirs/patch_modes/gta2cs_k50.pth
# Differences from the published recipe: those of ./gta2cs_cycada_1xb1.py and
# configs/patch_align/gta2cs_1xb1.py (patch size 32 is ours).
_base_ = ['../patch_align/gta2cs_1xb1.py']
train_dataloader = dict(dataset=dict(source=dict(
    _delete_=True,
    type='TranslatedSourceDataset',
    source={{_base_.source_train}},
    translated_dir='data/gta_cycada/images',
)))
