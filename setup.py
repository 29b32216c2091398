"""Install mmseg_uda, the unsupervised domain adaptation plugin for MMSegmentation 1.x."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(path: str) -> list:
    """Requirement lines of a file, comments and blank lines dropped."""
    with open(osp.join(osp.dirname(__file__), path)) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


#: Shipped in the package as ``mmseg_uda/.mim/``, where mmengine (``_base_ =
#: 'mmseg_uda::FOLDER/NAME.py'``) and mim (``mim train mmseg_uda FOLDER/NAME.py``) look for a
#: package's configs and tools, as MMSegmentation's ``mmseg/.mim``. In the repository
#: ``mmseg_uda/.mim/{configs,tools,model-index.yml}`` are symbolic links to the top-level
#: folders, so an editable install sees the checkout's files; a wheel or sdist gets copies.
MIM_FILES = ['.mim/model-index.yml', '.mim/configs/**/*.py', '.mim/configs/**/*.md',
             '.mim/tools/**/*.py', '.mim/tools/**/*.sh']


def read_version() -> str:
    ns: dict = {}
    with open(osp.join(osp.dirname(__file__), 'mmseg_uda', 'version.py')) as f:
        exec(f.read(), ns)
    return ns['__version__']


setup(
    name='mmseg_uda',
    version=read_version(),
    description='Unsupervised domain adaptation for semantic segmentation, as an MMSegmentation 1.x plugin',
    long_description=open(osp.join(osp.dirname(__file__), 'README.md')).read()
    if osp.exists(osp.join(osp.dirname(__file__), 'README.md')) else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'configs', 'tools')),
    package_data={'mmseg_uda': MIM_FILES},
    python_requires='>=3.8',
    # torch and mmcv are deliberately not listed: both must match the user's hardware (CPU build
    # or a CUDA build; mmcv with compiled ops). See README, "Install".
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={'tests': read_requirements('requirements/tests.txt')},
    license='Apache-2.0',
)
