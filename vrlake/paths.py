"""Where vrlake's own project files are (not data: data lives in the storage zones).

The dbt project is not a Python package, so its location is found once, here: `VRLAKE_DBT_PROJECT_DIR` when set
(a deployment that installs vrlake as a wheel), otherwise the `dbt_project/` folder of the source checkout this
package was imported from.
"""

from __future__ import annotations

import os
from pathlib import Path

DBT_PROJECT_ENV = "VRLAKE_DBT_PROJECT_DIR"
_MARKER = Path("dbt_project") / "dbt_project.yml"


def repo_root() -> Path:
    """The source checkout containing this package (the first ancestor holding `dbt_project/dbt_project.yml`)."""
    here = Path(__file__).resolve()
    for ancestor in here.parents:
        if (ancestor / _MARKER).is_file():
            return ancestor
    raise FileNotFoundError(f"no {_MARKER} above {here}; set {DBT_PROJECT_ENV} to the dbt project folder")


def dbt_project_dir() -> Path:
    configured = os.environ.get(DBT_PROJECT_ENV)
    return Path(configured).resolve() if configured else repo_root() / "dbt_project"
