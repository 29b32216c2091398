# Source pipelines with Fourier domain adaptation (FourierDomainAdaptation, mmseg_uda.datasets.fda;
# Yang & Soatto, CVPR 2020) after the geometric transforms of the plain source pipelines of
# ./gta_to_cityscapes.py, ./synthia_to_cityscapes.py and ./camvid_day_to_dusk.py. Only variables:
# configs/pixel_level/*_fda*.py add this file to the bases of the config they extend and set
# their source pipeline to one of these. β = 0.01, the smallest of the FDA paper. target_dir is
# the target TRAIN image folder of those dataset files; with another data location override it
# as well (the pipeline's FourierDomainAdaptation step, e.g. ...source.pipeline.3.target_dir).
cityscapes_fda = dict(type='FourierDomainAdaptation', beta=0.01, img_suffix='_leftImg8bit.png',
                      target_dir='data/cityscapes/leftImg8bit/train')
gta_fda_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=False),
    cityscapes_fda,
    dict(type='PackSegInputs'),
]
# SYNTHIA frames keep their 1280x760
synthia_fda_pipeline = [dict(step, scale=(1280, 760)) if step['type'] == 'Resize' else step
                        for step in gta_fda_pipeline]
camvid_fda_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadCheckedAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='FourierDomainAdaptation', beta=0.01,
         target_dir='data/camvid_daydusk/target/img/train'),
    dict(type='PackSegInputs'),
]
