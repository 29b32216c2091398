# Offline class-balanced self-training (CBST, Zou et al. ECCV 2018, github.com/yzou2/CBST; the
# [50] of Tsai et al. ICCV 2019), GTA5 -> Cityscapes, one re-training round on one GPU with
# batch 1 + 1: the DeepLab-v2 model and AdaptSegNet optimisers of ./gta2cs_ps_1xb1.py, trained
# on GTA5 and on the Cityscapes train images with their pseudo labels, from a trained model:
#   python tools/generate_pseudo_labels.py configs/source_only/gta2cs_deeplabv2_r101_noaux.py \
#       work_dirs/gta2cs_deeplabv2_r101_noaux/iter_150000.pth \
#       --out work_dirs/pseudo_labels/gta2cs_round1 --portion 0.2
#   python tools/train.py configs/self_training/gta2cs_cbst_1xb1.py
# Later rounds: pseudo labels from this run's checkpoint into a new folder with --portion
# raised by 0.05 (CBST, up to 0.5), then train again with --cfg-options
# train_dataloader.dataset.target_pseudo_labels=NEW_DIR load_from=THIS_CHECKPOINT.
# Add the adversarial losses by keeping ./gta2cs_ps_1xb1.py's `ps` adaptation (drop the
# _delete_ below). No figure of this recipe is published (CBST reports ResNet-38 results; Tsai
# et al.'s Ps row is Hung et al.'s method, ./gta2cs_ps_1xb1.py). Differences from CBST:
# DeepLab-v2 R101 (not ResNet-38), portion 0.2 (CBST's GTA5 command: 0.15 with the spatial
# prior), no test-time flipping or multi-scale input, no small-class patch mining or
# source-image selection, pseudo labels weighted 1 like the source loss, 20k iterations per
# round on AdaptSegNet's optimisers (CBST: 2 epochs per round, lr 1e-4). Not trained here.
_base_ = ['./gta2cs_ps_1xb1.py']
pseudo_labels = 'work_dirs/pseudo_labels/gta2cs_round1'
load_from = 'work_dirs/gta2cs_deeplabv2_r101_noaux/iter_150000.pth'
model = dict(
    warmup_iters=0,
    adaptations=dict(_delete_=True, pseudo=dict(type='PseudoLabelTraining', loss_weight=1.0)))
# UDADataset loads the pseudo labels right after each target image, before its transforms
train_dataloader = dict(dataset=dict(target_pseudo_labels=pseudo_labels))
max_iters = 20000
param_scheduler = [
    dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=max_iters, by_epoch=False),
]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
