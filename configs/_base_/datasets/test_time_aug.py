# Test-time augmentation shared by the dataset configs (tools/test.py --tta), MMSeg's recipe:
# every test image at six scales, 0.5-1.75 of the dataset's own test scale, each unflipped and
# flipped; SegTTAModel (`tta_model` in ../default_runtime.py) averages the 12 softmax maps.
# Only variables: each dataset config builds its `tta_pipeline` as its test pipeline's image
# loading and resize (if any) followed by `test_time_aug`, so the scale 1.0, unflipped view is
# exactly the plain test input. Labels are loaded after the resize, at full resolution, as in
# the test pipelines; LoadCheckedAnnotations is MMSeg's LoadAnnotations plus label checks.
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
test_time_aug = dict(
    type='TestTimeAug',
    transforms=[
        [dict(type='Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
        [
            dict(type='RandomFlip', prob=0., direction='horizontal'),
            dict(type='RandomFlip', prob=1., direction='horizontal'),
        ],
        [dict(type='LoadCheckedAnnotations')],
        [dict(type='PackSegInputs')],
    ])
