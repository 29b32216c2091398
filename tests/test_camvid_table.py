"""benchmarks/camvid_table.py: the continued schedule of the shared warm-up protocol, the run
order of a sweep with several workers, and the paired differences of its table."""
import itertools
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim.scheduler import PolyLR

from mmseg_uda.utils import continuation_options
from tests.conftest import REPO

sys.path.insert(0, f'{REPO}/benchmarks')
import camvid_table  # noqa: E402


def poly_lrs(lr: float, end: int, steps: int, power: float = 0.9) -> list:
    """The learning rates mmengine's PolyLR gives SGD at lr over ``steps`` iterations."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = PolyLR(opt, eta_min=0.0, power=power, begin=0, end=end, by_epoch=False)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return lrs


def options_dict(options: list) -> dict:
    return dict(o.split('=', 1) for o in options)


def test_continuation_matches_the_full_schedule():
    """From iteration 1000 of the 1250-iteration poly schedule, each optimizer's new run (250
    iterations from the scaled lr) reproduces the full run's learning rates."""
    cfg = Config.fromfile(f'{REPO}/configs/output_space/camvid_day2dusk_lite0.py')
    opts = options_dict(continuation_options(cfg, 1000, 1250))
    assert opts['train_cfg.max_iters'] == '250' and opts['param_scheduler.0.end'] == '250'
    for part, lr0 in (('generator', 1e-3), ('discriminator', 1e-4)):
        assert cfg.optim_wrapper[part].optimizer.lr == lr0
        new_lr = float(opts[f'optim_wrapper.{part}.optimizer.lr'])
        full = poly_lrs(lr0, 1250, 1250)[1000:]
        continued = poly_lrs(new_lr, 250, 250)
        assert continued == pytest.approx(full, rel=1e-9, abs=1e-15)
    assert opts['model.warmup_iters'] == '0'


def test_continuation_moves_the_model_iteration_counts():
    """Self-training from iteration 1100 of the full schedule is iteration 100 of a run
    continued from 1000; a start before the continuation is 0."""
    cfg = Config.fromfile(f'{REPO}/configs/fusion/camvid_day2dusk_lite0_fusion.py')
    assert cfg.model.warmup_iters == 1000
    assert cfg.model.adaptations.ps.self_training_start == 1100
    opts = options_dict(continuation_options(cfg, 1000, 1250))
    assert opts['model.warmup_iters'] == '0'
    assert opts['model.adaptations.ps.self_training_start'] == '100'
    assert 'model.adaptations.output.self_training_start' not in opts
    opts = options_dict(continuation_options(cfg, 1200, 1250))
    assert opts['model.adaptations.ps.self_training_start'] == '0'
    # the plain source-only model has no iteration count of its own, its one optimizer the lr
    plain = Config.fromfile(f'{REPO}/configs/source_only/camvid_day2dusk_lite0.py')
    opts = options_dict(continuation_options(plain, 1000, 1250))
    assert not any(k.startswith('model.') for k in opts)
    assert float(opts['optim_wrapper.optimizer.lr']) == pytest.approx(1e-3 * (249 / 1249)**0.9)


def test_continuation_single_optimizer_and_bad_schedules():
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
                      param_scheduler=[dict(type='PolyLR', power=1.0, eta_min=0, begin=0,
                                            end=100, by_epoch=False)]))
    opts = options_dict(continuation_options(cfg, 50, 100))
    assert float(opts['optim_wrapper.optimizer.lr']) == pytest.approx(0.01 * 49 / 99)
    assert poly_lrs(0.01 * 49 / 99, 50, 50, power=1.0) == pytest.approx(
        poly_lrs(0.01, 100, 100, power=1.0)[50:], rel=1e-9, abs=1e-15)
    with pytest.raises(ValueError, match='0 < start < total'):
        continuation_options(cfg, 100, 100)
    cfg.param_scheduler[0].eta_min = 1e-4
    with pytest.raises(ValueError, match='PolyLR'):
        continuation_options(cfg, 50, 100)
    cfg.param_scheduler = [dict(type='LinearLR', by_epoch=False)]
    with pytest.raises(ValueError, match='PolyLR'):
        continuation_options(cfg, 50, 100)


def test_table_paired_differences():
    results = [dict(method='source only', seed=s, miou=m, miou_adabn=a, train_min=1.0)
               for s, m, a in ((0, 30.0, 25.0), (1, 32.0, 27.0))]
    results += [dict(method='output space', seed=s, miou=m, miou_adabn=a, train_min=2.0)
                for s, m, a in ((0, 33.0, 26.0), (1, 33.0, 30.0), (2, 40.0, 40.0))]
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.strip('|').split('|')]
            for line in camvid_table.table(results).splitlines()[2:]}
    assert rows['source only'][1:6] == ['31.00 ± 1.41', '-', '26.00 ± 1.41', '-', '2']
    # seed 2 has no source-only run: the differences are over seeds 0 and 1 only
    assert rows['output space'][2] == '+2.00 ± 1.41 (n=2)'
    assert rows['output space'][4] == '+2.00 ± 1.41 (n=2)'
    assert rows['output space'][5] == '3'


def fake_sweep(tmp_path, monkeypatch, workers: int, fail: tuple = (),
               methods: tuple = ('source only', 'output space'), extra: tuple = ()):
    args = camvid_table.parse_args(['--model', 'lite0', '--methods', *methods, '--seeds', '0',
                                    '1', '--workers', str(workers), '--work-dir',
                                    str(tmp_path), *extra])
    sweep = camvid_table.Sweep(args)
    assert (sweep.total, sweep.warmup) == (1250, 1000)
    log = []

    def run_job(job):
        if job[0] != 'warmup':
            assert ('warmup', job[1]) in log, f'{job} started before its warm-up finished'
        if job[0] in camvid_table.PSEUDO_LABEL_METHODS:
            assert ('pseudo labels', job[1]) in log, f'{job} started before its pseudo labels'
        if sweep.fit_head and camvid_table.is_patch_method(job[0]):
            assert (camvid_table.PATCH_HEAD, job[1]) in log, f'{job} started before its head'
        if job in fail:
            raise camvid_table.subprocess.CalledProcessError(1, 'train')
        log.append(job)

    monkeypatch.setattr(sweep, 'run_job', run_job)
    monkeypatch.setattr(sweep, 'write_table', lambda: None)
    monkeypatch.setattr(camvid_table.time, 'sleep', lambda s: None)
    threads = [camvid_table.threading.Thread(target=sweep.worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return sweep, log


@pytest.mark.parametrize('workers', [1, 2])
def test_sweep_runs_each_job_once_after_its_warmup(tmp_path, monkeypatch, workers):
    sweep, log = fake_sweep(tmp_path, monkeypatch, workers)
    assert sorted(log) == sorted([('warmup', 0), ('warmup', 1), ('source only', 0),
                                  ('source only', 1), ('output space', 0), ('output space', 1)])
    if workers == 1:  # seed-major order
        assert log[:3] == [('warmup', 0), ('source only', 0), ('output space', 0)]
    assert not sweep.failed


def test_sweep_skips_the_runs_of_a_failed_warmup(tmp_path, monkeypatch):
    sweep, log = fake_sweep(tmp_path, monkeypatch, 2, fail=(('warmup', 0),))
    assert sorted(log) == [('output space', 1), ('source only', 1), ('warmup', 1)]
    assert len(sweep.failed) == 1 and "('warmup', 0)" in sweep.failed[0]


def test_train_bn_reaches_every_run_and_the_backbone(tmp_path, monkeypatch):
    """--bn train passes its options to the warm-up and to each method's run, and those options
    leave every backbone BatchNorm of the built lite0 model training with trainable affine
    parameters (the configs' default: all frozen)."""
    with pytest.raises(SystemExit):
        camvid_table.parse_args(['--model', 'tiny', '--bn', 'train'])
    args = camvid_table.parse_args(['--model', 'lite0', '--bn', 'train', '--methods',
                                    'output space', '--seeds', '0'])
    assert args.work_dir == 'work_dirs/camvid_table_lite0_trainbn'
    args.work_dir = str(tmp_path)
    sweep = camvid_table.Sweep(args)
    calls = []

    def train(config, run_dir, options, log, env):
        calls.append((config, options))
        camvid_table.os.makedirs(run_dir, exist_ok=True)
        return 'ckpt.pth'

    monkeypatch.setattr(camvid_table, 'train', train)
    monkeypatch.setattr(camvid_table, 'evaluate_run', lambda *a: dict(miou=1.0))
    sweep.run_job(('warmup', 0))
    sweep.run_job(('output space', 0))
    # the warm-up trains the plain source-only model, the method the UDASegmentor around it
    assert [(c, [o for o in opts if 'norm' in o]) for c, opts in calls] == [
        ('configs/source_only/camvid_day2dusk_lite0.py',
         ['model.backbone.norm_eval=False', 'model.backbone.norm_cfg.requires_grad=True']),
        ('configs/output_space/camvid_day2dusk_lite0.py',
         ['model.segmentor.backbone.norm_eval=False',
          'model.segmentor.backbone.norm_cfg.requires_grad=True'])]

    from mmseg.registry import MODELS
    from mmseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    import mmseg_uda  # noqa: F401
    from mmseg_uda.utils import segmentor_cfg
    for (config, options), bn_train in itertools.product(calls, (False, True)):
        cfg = Config.fromfile(f'{REPO}/{config}')
        if bn_train:
            cfg.merge_from_dict({k: v == 'True' for k, v in
                                 options_dict([o for o in options if 'norm' in o]).items()})
        segmentor_cfg(cfg.model).backbone.init_cfg = None
        model = MODELS.build(cfg.model).train()
        backbone = getattr(model, 'segmentor', model).backbone
        bns = [m for m in backbone.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        assert len(bns) > 40
        assert {m.training for m in bns} == {bn_train}
        assert {p.requires_grad for m in bns for p in m.parameters()} == {bn_train}


CBST = camvid_table.PS_CBST


def fake_training(monkeypatch) -> dict:
    """Replace training and evaluation; returns config -> the options it was trained with."""
    calls = {}

    def train(config, run_dir, options, log, env):
        calls[config] = options_dict(options)
        camvid_table.os.makedirs(run_dir, exist_ok=True)
        return 'ckpt.pth'

    monkeypatch.setattr(camvid_table, 'train', train)
    monkeypatch.setattr(camvid_table, 'evaluate_run', lambda *a: dict(miou=1.0))
    return calls


@pytest.mark.parametrize('workers', [1, 2])
def test_cbst_runs_wait_for_the_pseudo_labels_of_their_seed(tmp_path, monkeypatch, workers):
    sweep, log = fake_sweep(tmp_path, monkeypatch, workers, methods=('source only', CBST))
    assert sorted(log) == sorted([('warmup', 0), ('warmup', 1), ('pseudo labels', 0),
                                  ('pseudo labels', 1), ('source only', 0), ('source only', 1),
                                  (CBST, 0), (CBST, 1)])
    sweep, log = fake_sweep(tmp_path, monkeypatch, workers, methods=('source only', CBST),
                            fail=(('pseudo labels', 0),))
    assert (CBST, 0) not in log and (CBST, 1) in log and ('source only', 0) in log


def test_method_runs_get_pseudo_labels_and_moved_self_training(tmp_path, monkeypatch):
    args = camvid_table.parse_args(['--model', 'lite0', '--table', 'matrix', '--seeds', '3',
                                    '--work-dir', str(tmp_path)])
    assert args.methods == camvid_table.TABLES['matrix'] and len(args.methods) == 12
    sweep = camvid_table.Sweep(args)
    assert [j for j in sweep.jobs[:2]] == [('warmup', 3), ('pseudo labels', 3)]
    calls = fake_training(monkeypatch)
    for method in (CBST, camvid_table.FUSION):
        sweep.run_job((method, 3))
    cbst = calls['configs/self_training/camvid_day2dusk_lite0_cbst.py']
    assert cbst['train_dataloader.dataset.target_pseudo_labels'] == sweep.pseudo_label_dir(3)
    assert cbst['load_from'] == sweep.warmup_checkpoint(3)
    fusion = calls['configs/fusion/camvid_day2dusk_lite0_fusion.py']
    assert fusion['model.adaptations.ps.self_training_start'] == '100'
    assert 'train_dataloader.dataset.target_pseudo_labels' not in fusion
    with pytest.raises(SystemExit):  # CBST needs the warm-up
        camvid_table.Sweep(camvid_table.parse_args(
            ['--model', 'lite0', '--methods', CBST, '--warmup', '0']))


def test_old_results_are_evaluated_again_for_their_class_iou(tmp_path, monkeypatch):
    args = camvid_table.parse_args(['--model', 'lite0', '--methods', 'output space',
                                    '--seeds', '0', '--work-dir', str(tmp_path)])
    sweep = camvid_table.Sweep(args)
    run_dir = sweep.run_dir('output space', 0)
    camvid_table.os.makedirs(run_dir)
    with open(f'{run_dir}/last_checkpoint', 'w') as f:
        f.write(f'{run_dir}/iter_250.pth')
    old = dict(method='output space', seed=0, miou=30.0, miou_adabn=31.0, train_min=1.0)
    with open(f'{run_dir}/result.json', 'w') as f:
        camvid_table.json.dump(old, f)
    assert not sweep.finished(('output space', 0))
    seen = []

    def evaluate_run(config, ckpt, run_dir, env):
        seen.append(ckpt)
        return dict(miou=30.004, miou_adabn=31.0, class_iou={'road': 90.0},
                    class_iou_adabn={'road': 91.0})

    monkeypatch.setattr(camvid_table, 'evaluate_run', evaluate_run)
    monkeypatch.setattr(camvid_table, 'train', lambda *a: pytest.fail('trained again'))
    sweep.run_job(('output space', 0))
    assert seen == [f'{run_dir}/iter_250.pth'] and sweep.finished(('output space', 0))
    with open(f'{run_dir}/result.json') as f:
        new = camvid_table.json.load(f)
    assert new == dict(old, class_iou={'road': 90.0}, class_iou_adabn={'road': 91.0})
    with open(f'{run_dir}/result.json', 'w') as f:
        camvid_table.json.dump(old, f)
    monkeypatch.setattr(camvid_table, 'evaluate_run',
                        lambda *a: dict(evaluate_run(*a), miou=29.0))
    with pytest.raises(RuntimeError, match='miou evaluated again is 29.0, recorded 30.0'):
        sweep.run_job(('output space', 0))


def matrix_results() -> list:
    rows = []
    for method, values in (('source only', ((0, 30.0, 33.0), (1, 32.0, 36.0))),
                           ('patch alignment', ((0, 31.0, 0.0), (1, 34.0, 0.0))),
                           (camvid_table.PI, ((0, 35.0, 0.0), (1, 35.0, 0.0))),
                           (camvid_table.PI + camvid_table.PATCH, ((0, 36.0, 0.0),
                                                                   (1, 38.0, 0.0)))):
        for seed, miou, adabn in values:
            rows.append(dict(method=method, seed=seed, miou=miou, miou_adabn=adabn,
                             train_min=1.0,
                             class_iou={'road': miou + 50, 'car': miou - 10, 'sky': float('nan')},
                             class_iou_adabn={'road': adabn + 50, 'car': adabn - 10,
                                              'sky': float('nan')}))
    return rows


def test_matrix_table_pairs_each_row_with_source_only_adabn_and_its_patch_twin():
    text = camvid_table.matrix_table(matrix_results())
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.strip('|').split('|')][1:]
            for line in text.splitlines()[2:]}
    # none: source only 31 ± 1.41; patch alignment +1.5 over it (seeds: +1, +2), -2 vs AdaBN
    assert rows['none'][:6] == ['31.00 ± 1.41', '-', '-3.50 ± 0.71', '32.50 ± 2.12',
                                '+1.50 ± 0.71', '-2.00 ± 0.00']
    # Pi: +5/+3 over source only, +2/-1 over AdaBN; with patch +1/+3 over Pi
    assert rows['Pi (FDA)'][:7] == ['35.00 ± 0.00', '+4.00 ± 1.41', '+0.50 ± 2.12',
                                    '37.00 ± 1.41', '+6.00 ± 0.00', '+2.50 ± 0.71',
                                    '+2.00 ± 1.41']
    assert rows['Ou (output space)'][0] == '-'  # not run
    assert rows['AdaBN (source only + AdaBN)'][0] == '34.50 ± 2.12'


def test_report_writes_the_matrix_and_the_per_class_charts(tmp_path):
    args = camvid_table.parse_args(['--model', 'lite0', '--table', 'matrix', '--work-dir',
                                    str(tmp_path)])
    sweep = camvid_table.Sweep(args)
    for r in matrix_results():
        run_dir = sweep.run_dir(r['method'], r['seed'])
        camvid_table.os.makedirs(run_dir)
        with open(f'{run_dir}/result.json', 'w') as f:
            camvid_table.json.dump(r, f)
    sweep.write_table()
    text = (tmp_path / 'results.md').read_text()
    assert '## Tsai et al. 2019 Tables 2-3 rows' in text
    assert '| Pi (FDA) | 35.00 ± 0.00 | +4.00 ± 1.41 |' in text
    from PIL import Image
    for name in ('class_iou.png', 'class_iou_patch.png'):
        with Image.open(tmp_path / name) as im:
            im.load()
            assert im.width > 400 and im.height > 200


HEAD = camvid_table.PATCH_HEAD
PI_PATCH = camvid_table.PI + camvid_table.PATCH


@pytest.mark.parametrize('workers', [1, 2])
def test_patch_rows_wait_for_the_head_fitted_on_their_seed(tmp_path, monkeypatch, workers):
    methods = ('source only', 'patch alignment', PI_PATCH)
    sweep, log = fake_sweep(tmp_path, monkeypatch, workers, methods=methods)
    assert sweep.head_iters == sweep.warmup == 1000
    assert sorted(log) == sorted([(m, s) for s in (0, 1)
                                  for m in ('warmup', HEAD, *methods)])
    sweep, log = fake_sweep(tmp_path, monkeypatch, workers, methods=methods,
                            fail=((HEAD, 0),))
    assert ('patch alignment', 0) not in log and (PI_PATCH, 0) not in log
    assert ('source only', 0) in log and ('patch alignment', 1) in log
    # --patch-head-iters 0: no head job, the patch rows start from the warm-up
    sweep, log = fake_sweep(tmp_path, monkeypatch, workers, methods=methods,
                            extra=('--patch-head-iters', '0'))
    assert not sweep.fit_head and not any(job[0] == HEAD for job in log)
    assert len(log) == 8


def test_patch_rows_continue_from_the_fitted_head(tmp_path, monkeypatch):
    args = camvid_table.parse_args(['--model', 'lite0', '--methods', 'output space',
                                    PI_PATCH, '--seeds', '2', '--patch-head-iters', '300',
                                    '--work-dir', str(tmp_path)])
    sweep = camvid_table.Sweep(args)
    assert sweep.jobs == [('warmup', 2), (HEAD, 2), ('output space', 2), (PI_PATCH, 2)]
    calls, commands = fake_training(monkeypatch), []
    monkeypatch.setattr(camvid_table.subprocess, 'run', lambda cmd, **kw: commands.append(cmd))
    sweep.run_job((HEAD, 2))
    assert sweep.finished((HEAD, 2))
    (cmd,) = commands
    assert cmd[1].endswith('tools/fit_patch_head.py')
    assert cmd[2].endswith('configs/patch_align/camvid_day2dusk_lite0.py')
    assert cmd[3:] == [sweep.warmup_checkpoint(2), '--out', sweep.head_checkpoint(2),
                       '--iters', '300', '--seed', '2']
    for method in ('output space', PI_PATCH):
        sweep.run_job((method, 2))
    assert calls['configs/output_space/camvid_day2dusk_lite0.py']['load_from'] == \
        sweep.warmup_checkpoint(2)
    assert calls['configs/pixel_level/camvid_day2dusk_lite0_fda_patch.py']['load_from'] == \
        sweep.head_checkpoint(2)
    with open(f"{sweep.run_dir(PI_PATCH, 2)}/result.json") as f:
        assert camvid_table.json.load(f)['patch_head_iters'] == 300
    with pytest.raises(SystemExit):  # a head needs a warm-up to be fitted on
        camvid_table.Sweep(camvid_table.parse_args(
            ['--model', 'lite0', '--methods', PI_PATCH, '--warmup', '0',
             '--patch-head-iters', '10']))


def test_mean_std_of_one_seed_has_no_spread():
    """A row of one seed shows its value alone (a sample std of one value is undefined)."""
    assert camvid_table.mean_std([25.05]) == '25.05'
    assert camvid_table.mean_std([1.0], signed=True) == '+1.00'
    assert camvid_table.mean_std([1.0, 3.0]) == '2.00 ± 1.41'
    assert camvid_table.mean_std([]) == '-'


@pytest.mark.parametrize('model', sorted(camvid_table.MODELS))
def test_every_method_names_an_existing_config_and_the_tools_that_build_its_files(model):
    """Each method's config exists, and each file it needs comes with a command whose tool and
    config exist, so a sweep builds what it needs before its first run."""
    for method, (config, needs) in camvid_table.MODELS[model].items():
        assert osp.isfile(osp.join(REPO, config)), (method, config)
        assert isinstance(needs, list), (method, needs)
        for command, path in needs:
            assert command[-1] == '--out' and path.startswith('work_dirs/'), (method, command)
            for part in command[:2]:
                assert osp.isfile(osp.join(REPO, part)), (method, part)
