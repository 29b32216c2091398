"""Checkpoints that cannot be lost: atomic saving, rotation after success, early folder checks.

mmengine 0.10's ``CheckpointHook`` deletes the oldest checkpoint *before* writing the new one, and
writes it in place, so with ``max_keep_ckpts=1`` a full disk or a kill during the save leaves no
checkpoint at all while ``last_checkpoint`` names a deleted file. :class:`SafeCheckpointHook`
keeps mmengine's options and file names and changes only the order and the way files are
written:

1. the runner writes the checkpoint to ``<name>.partial`` in the checkpoint folder;
2. the file is flushed to disk (``fsync``) and renamed to ``<name>`` with :func:`os.replace`
   (atomic on POSIX), then the folder is synced;
3. ``last_checkpoint`` is written the same way (temporary file, ``fsync``, rename);
4. only then are the checkpoints that fall out of ``max_keep_ckpts`` deleted.

So at any moment ``last_checkpoint`` names a complete file. A failed write removes its
``.partial`` file and raises an :class:`OSError` naming the checkpoint; a SIGKILL can leave a
``.partial`` file, never a half-written file under a final name, and the next run's
``before_run`` deletes it. SIGTERM and SIGINT that arrive during a save are held until the save
(file, ``last_checkpoint`` and rotation) is finished, then delivered: the run ends with the new
checkpoint complete and named in ``last_checkpoint``.

:func:`check_resume` turns ``--resume`` with nothing to resume into an error (mmengine silently
starts from scratch); ``tools/train.py`` calls it when it builds the config.
"""
import functools
import glob
import logging
import os
import os.path as osp
import shutil
import signal
import sys
import tempfile
import threading
from collections import deque
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence

from mmengine.config import Config
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.runner.checkpoint import find_latest_checkpoint

from mmseg.registry import HOOKS
from .optim_constructor import rename_former_parts
from ..utils import resolve_alias

PARTIAL_SUFFIX = '.partial'
LAST_CHECKPOINT = 'last_checkpoint'


def fsync_and_replace(partial: str, final: str) -> None:
    """Flush ``partial`` to disk, rename it to ``final`` atomically, then sync the folder.

    Args:
        partial: A complete file, in the same folder as ``final``.
        final: Its final name; an existing file of that name is replaced in one step.
    """
    fd = os.open(partial, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(partial, final)
    folder_fd = os.open(osp.dirname(osp.abspath(final)), os.O_RDONLY)
    try:
        os.fsync(folder_fd)
    finally:
        os.close(folder_fd)


def remove_path(path: str) -> None:
    """Delete a file or a folder (DeepSpeed checkpoints are folders) if it exists."""
    if osp.isdir(path):
        shutil.rmtree(path)
    elif osp.lexists(path):
        os.remove(path)


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees either the old or the new content.

    Args:
        path: File to write.
        text: Its new content.

    Raises:
        OSError: If it cannot be written (the temporary file is removed, ``path`` is unchanged);
            the message names ``path``.
    """
    partial = path + PARTIAL_SUFFIX
    try:
        with open(partial, 'w') as f:
            f.write(text)
        fsync_and_replace(partial, path)
    except OSError as err:
        remove_path(partial)
        raise OSError(err.errno, f'could not write {path!r}: {err.strerror}; '
                      'it was left as it was') from err
    except BaseException:
        remove_path(partial)
        raise


def check_writable_folder(folder: str) -> None:
    """Create ``folder`` if needed and check that a file can be created in it.

    The check writes and deletes a small probe file rather than asking :func:`os.access`, which
    answers "writable" for root on read-only mounts' permission bits and misses full disks'
    inodes.

    Args:
        folder: The checkpoint folder.

    Raises:
        OSError: If the folder cannot be created or written; the message names it.
    """
    try:
        os.makedirs(folder, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix='.write_check_', dir=folder)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise OSError(
            err.errno, f'checkpoint folder {folder!r} is not writable ({err.strerror}); set '
            'default_hooks.checkpoint.out_dir (or --work-dir) to a folder you can write') from err


@contextmanager
def deferred_signals(what: str,
                     signums: Sequence[int] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[None]:
    """Hold back ``signums`` while the block runs, then deliver them to the previous handlers.

    Only the main thread can install signal handlers; elsewhere the block runs unprotected.

    Args:
        what: What the block does, for the log line printed when a signal was held.
        signums: The signals to hold.

    Yields:
        None.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: List[int] = []

    def hold(signum: int, frame) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in signums}
    completed = False
    try:
        yield
        completed = True
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if received:
            names = ', '.join(sorted({signal.Signals(s).name for s in received}))
            outcome = 'it completed' if completed else 'it failed'
            print_log(f'{names} arrived while {what}; it was held until the save ended ({outcome}) '
                      'and is handled now', logger='current', level=logging.WARNING)
            sys.stdout.flush()
            sys.stderr.flush()
            for signum in dict.fromkeys(received):
                signal.raise_signal(signum)


def check_resume(cfg: Config) -> Optional[str]:
    """Fail when ``cfg.resume`` is set but there is nothing to resume.

    mmengine's runner resumes from ``cfg.load_from`` when it is set, otherwise from the file named
    in ``<work_dir>/last_checkpoint``; without that file it logs a line and silently trains from
    scratch, so a mistyped ``--work-dir`` throws the earlier training away.

    Args:
        cfg: The training config, with ``work_dir``, ``resume`` and ``load_from`` final.

    Returns:
        The checkpoint that will be resumed, or None when ``cfg.resume`` is off.

    Raises:
        FileNotFoundError: If ``work_dir`` has no ``last_checkpoint``, or it names a missing
            file; the message names the work dir.
    """
    if not cfg.get('resume', False):
        return None
    if cfg.get('load_from'):
        return cfg.load_from
    work_dir = cfg.work_dir
    pointer = osp.join(work_dir, LAST_CHECKPOINT)
    if not osp.isfile(pointer):
        found = sorted(glob.glob(osp.join(work_dir, '*.pth')))
        hint = (f' It holds {", ".join(osp.basename(p) for p in found[:5])}: to resume from one, '
                'add --cfg-options load_from=PATH.' if found else '')
        raise FileNotFoundError(
            f'--resume: nothing to resume in work_dir {work_dir!r}: it has no '
            f"'{LAST_CHECKPOINT}' file.{hint} Check --work-dir (or the config's work_dir), or "
            'leave out --resume to train from scratch.')
    latest = find_latest_checkpoint(work_dir)
    if latest and '://' not in latest and not osp.isfile(latest):
        raise FileNotFoundError(
            f'--resume: {pointer!r} names {latest!r}, which does not exist; nothing to resume in '
            f'work_dir {work_dir!r}.')
    return latest


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` with atomic saves and rotation after success.

    Same arguments as :class:`mmengine.hooks.CheckpointHook`; the checkpoints must go to a local
    folder. The order of one save (see the module docstring): ``<name>.partial`` written by the
    runner, ``fsync``, :func:`os.replace` to ``<name>``, ``last_checkpoint`` replaced the same
    way, then the checkpoints beyond ``max_keep_ckpts`` deleted. SIGTERM/SIGINT during a save
    are delivered after it. Best checkpoints (``save_best``) are written atomically too;
    mmengine's logic still deletes the previous best just before writing the new one.

    ``before_run`` checks that the checkpoint folder is local and writable, and deletes
    ``.partial`` files that a killed run left in it. ``after_load_checkpoint`` renames the
    optimizer and scheduler states of a checkpoint saved under a former ``optim_wrapper`` key
    (:func:`~mmseg_uda.engine.optim_constructor.rename_former_parts`), so it can be resumed.
    """

    def before_run(self, runner) -> None:
        """Check the checkpoint folder before anything is trained or loaded.

        Args:
            runner: The runner.

        Raises:
            ValueError: If the checkpoints would not go to a local folder.
            OSError: If the folder cannot be created or written; the message names it.
        """
        folder = self._resolved_out_dir(runner)
        if self.file_client_args is not None or not isinstance(
                get_file_backend(folder, backend_args=self.backend_args), LocalBackend):
            raise ValueError(
                f'SafeCheckpointHook writes checkpoints atomically to local folders only, but '
                f'out_dir={folder!r} (backend_args={self.backend_args}, file_client_args='
                f"{self.file_client_args}) is not one; use type='CheckpointHook' for it")
        if not is_main_process():
            return
        check_writable_folder(folder)
        stale = glob.glob(osp.join(folder, '*' + PARTIAL_SUFFIX))
        stale += glob.glob(osp.join(runner.work_dir, LAST_CHECKPOINT + PARTIAL_SUFFIX))
        for path in sorted(set(stale)):
            runner.logger.warning(f'removing {path!r}, an unfinished save of an earlier run')
            remove_path(path)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Read the states of a former ``optim_wrapper`` key under its name now (``--resume``).

        Args:
            runner: The runner.
            checkpoint: The loaded checkpoint, updated in place.
        """
        super().after_load_checkpoint(runner, checkpoint)
        renamed = rename_former_parts(checkpoint)
        if renamed:
            runner.logger.info('checkpoint saved under former optim_wrapper keys, read as: '
                               + ', '.join(renamed))

    def _resolved_out_dir(self, runner) -> str:
        """The folder ``CheckpointHook.before_train`` will save to (``out_dir``/work_dir name)."""
        if self.out_dir is None or self.out_dir == runner.work_dir:
            return runner.work_dir
        return osp.join(self.out_dir, osp.basename(runner.work_dir.rstrip(osp.sep)))

    def _write_checkpoint(self, runner, out_dir: str, filename: str, **save_kwargs) -> str:
        """Have the runner write a checkpoint to ``<filename>.partial``, then move it in place.

        Args:
            runner: The runner.
            out_dir: The checkpoint folder.
            filename: The checkpoint's final file name.
            **save_kwargs: The other arguments of ``Runner.save_checkpoint``.

        Returns:
            The final path.

        Raises:
            OSError: If the write fails (e.g. ENOSPC); the partial file is removed, earlier
                checkpoints and ``last_checkpoint`` are untouched, and the message names the
                checkpoint.
        """
        final = osp.join(out_dir, filename)
        partial = final + PARTIAL_SUFFIX
        try:
            # The class attribute, not the instance one: _save_best_checkpoint redirects the
            # instance's save_checkpoint here.
            type(runner).save_checkpoint(runner, out_dir, filename + PARTIAL_SUFFIX,
                                         **save_kwargs)
            if is_main_process():
                fsync_and_replace(partial, final)
        except BaseException as err:
            if is_main_process():
                remove_path(partial)
            if isinstance(err, OSError):
                raise OSError(
                    err.errno, f'could not write checkpoint {final!r}: {err.strerror or err}; the '
                    f'partial file was removed, and the earlier checkpoints and '
                    f"'{LAST_CHECKPOINT}' were left as they were") from err
            raise
        return final

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict) -> None:
        """Save the checkpoint of ``step``, update ``last_checkpoint``, then rotate.

        Overrides mmengine's method (which rotates first and writes in place) with the same
        bookkeeping: ``keep_ckpt_ids`` and ``last_ckpt`` in the message hub describe the state
        after this save, as they are stored in the checkpoint itself. If the save fails they are
        set back.

        Args:
            runner: The runner.
            step: Epoch or iteration number of the checkpoint.
            meta: Meta information stored in it.
        """
        hub = runner.message_hub
        saved_last, saved_keep = self.last_ckpt, list(getattr(self, 'keep_ckpt_ids', ()))
        saved_info = {key: hub.runtime_info[key] for key in ('keep_ckpt_ids', 'last_ckpt')
                      if key in hub.runtime_info}
        filename = self.filename_tmpl.format(step)
        obsolete: List[int] = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids
                                            and self.keep_ckpt_ids[-1] == step):
            keep = list(self.keep_ckpt_ids) + [step]
            obsolete = keep[:-self.max_keep_ckpts]
            self.keep_ckpt_ids = deque(keep[-self.max_keep_ckpts:], self.max_keep_ckpts)
            hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))
        self.last_ckpt = osp.join(self.out_dir, filename)
        hub.update_info('last_ckpt', self.last_ckpt)

        with deferred_signals(f'saving {self.last_ckpt!r}'):
            try:
                self._write_checkpoint(
                    runner, self.out_dir, filename, file_client_args=self.file_client_args,
                    save_optimizer=self.save_optimizer,
                    save_param_scheduler=self.save_param_scheduler, meta=meta,
                    by_epoch=self.by_epoch, backend_args=self.backend_args, **self.args)
            except BaseException:
                self.last_ckpt = saved_last
                if self.max_keep_ckpts > 0:
                    self.keep_ckpt_ids = deque(saved_keep, self.max_keep_ckpts)
                for key in ('keep_ckpt_ids', 'last_ckpt'):
                    hub.pop_info(key)
                hub.update_info_dict(saved_info)
                raise
            if not is_main_process():
                return
            atomic_write_text(osp.join(runner.work_dir, LAST_CHECKPOINT), self.last_ckpt)
            for old_step in obsolete:
                remove_path(osp.join(self.out_dir, self.filename_tmpl.format(old_step)))

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        """mmengine's best-checkpoint logic, with its ``runner.save_checkpoint`` calls atomic.

        The one place where a runner method is redirected: for the duration of this call the
        instance attribute ``runner.save_checkpoint`` points at :meth:`_write_checkpoint`, and it
        is removed again afterwards, whatever happens.

        Args:
            runner: The runner.
            metrics: Evaluation results of all metrics.
        """
        if not self.save_best:
            return
        own = runner.__dict__.get('save_checkpoint')
        runner.save_checkpoint = functools.partial(self._write_checkpoint, runner)
        try:
            with deferred_signals('saving the best checkpoint'):
                super()._save_best_checkpoint(runner, metrics)
        finally:
            if own is None:
                del runner.save_checkpoint
            else:
                runner.save_checkpoint = own


#: File in a work dir naming the config whose run writes there (``<folder>/<file>`` of the
#: config that holds the settings, an alias followed to it).
WORK_DIR_OWNER = '.config_of_this_run'


def config_id(config: str) -> str:
    """``<folder>/<file>`` of the config holding the settings of ``config``."""
    config = resolve_alias(osp.abspath(config))
    return f'{osp.basename(osp.dirname(config))}/{osp.basename(config)}'


def check_work_dir_owner(work_dir: str, config: str) -> None:
    """Refuse to train ``config`` into a work dir holding another config's checkpoints.

    Configs of one name in several folders (``source_only/camvid_day2dusk_tiny.py`` and
    ``output_space/camvid_day2dusk_tiny.py``) have one default work dir, and a run of the second
    would overwrite the checkpoints of the first (``iter_600.pth``) that other configs
    ``load_from``. The first run to write there records its config in :data:`WORK_DIR_OWNER`;
    another config is an error before anything is built. Resuming, or training again, the same
    config is allowed, as is a work dir without checkpoints or without the record.

    Raises:
        FileExistsError: naming the work dir, both configs and the fix (``--work-dir``).
    """
    owner_file = osp.join(work_dir, WORK_DIR_OWNER)
    this = config_id(config)
    if osp.isfile(owner_file):
        with open(owner_file) as f:
            owner = f.read().strip()
        if owner != this and glob.glob(osp.join(work_dir, '*.pth')):
            raise FileExistsError(
                f'work_dir {work_dir!r} holds the checkpoints of configs/{owner}; training '
                f'configs/{this} there would overwrite them. Give this run its own directory '
                f'(--work-dir work_dirs/{osp.splitext(this.replace("/", "_"))[0]}).')
    if int(os.environ.get('RANK', '0')) == 0:
        os.makedirs(work_dir, exist_ok=True)
        with open(owner_file, 'w') as f:
            f.write(this + '\n')


__all__ = [
    'SafeCheckpointHook', 'check_resume', 'check_work_dir_owner', 'check_writable_folder',
    'atomic_write_text', 'deferred_signals', 'fsync_and_replace', 'PARTIAL_SUFFIX',
    'WORK_DIR_OWNER'
]
