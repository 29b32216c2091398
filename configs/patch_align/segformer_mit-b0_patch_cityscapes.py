# Mixing patch-level alignment into a stock MMSeg config: MMSeg's own SegFormer-B0 Cityscapes
# config, unchanged, wrapped in UDASegmentor (as
# configs/examples/segformer_mit-b0_output_space_cityscapes.py). Its Cityscapes training set is
# the labelled source (its modes come from its 1024x1024 training crops); the target is any set
# of unlabelled images in the Cityscapes folder layout under `target_root`. PatchAlignment reads
# the final logits, so it works on any EncoderDecoder. Patch size 32: 8x8 logit cells of
# SegFormer's output stride 4, a 32x32 patch grid per 1024x1024 crop.
#
# Modes file (K-means over the Cityscapes training label maps):
#   python tools/build_patch_modes.py configs/patch_align/segformer_mit-b0_patch_cityscapes.py \
#       --out work_dirs/patch_modes/cityscapes_segformer_k50.pth
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb1-160k_cityscapes-1024x1024.py']
custom_imports = dict(imports=['mmseg_uda'], allow_failed_imports=False)
target_root = 'data/target_city'
modes_file = 'work_dirs/patch_modes/cityscapes_segformer_k50.pth'

model = dict(
    _delete_=True,
    type='UDASegmentor',
    segmentor={{_base_.model}},
    warmup_iters=10000,
    adaptations=dict(
        patch=dict(
            type='PatchAlignment',
            modes_file=modes_file,
            patch_size=32,
            num_modes=50,
            loss_weight_cluster=0.01,
            loss_weight_adv=0.0005,
            discriminator=dict(type='FCDiscriminator'))),
)
optim_wrapper = dict(
    _delete_=True,
    constructor='UDAOptimWrapperConstructor',
    generator={{_base_.optim_wrapper}},
    discriminator=dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', find_unused_parameters=True)
target_pipeline = [  # the source augmentation without labels
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(2048, 1024), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='UDADataset',
        source={{_base_.train_dataloader.dataset}},
        target=dict(
            type='CityscapesDataset',
            data_root=target_root,
            data_prefix=dict(img_path='leftImg8bit/train'),
            pipeline=target_pipeline,
        ),
    ))
