"""The import contract the built-in import-linter types lack: a package on the standard library.

A `forbidden` contract can only name packages one by one; `stdlib_only` refuses every import
that is neither the package itself nor the standard library, so a new dependency is caught
without anyone remembering to add it to a list.
"""

from __future__ import annotations

import sys

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class StdlibOnlyContract(Contract):
    """`package` and its submodules import only each other and the standard library."""

    type_name = "stdlib_only"
    package = fields.StringField()

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        package = str(self.package)
        own = {package} | graph.find_descendants(package)
        illegal = sorted(
            (importer, imported, _line_numbers(graph, importer, imported))
            for importer in own
            for imported in graph.find_modules_directly_imported_by(importer)
            if imported not in own and imported.partition(".")[0] not in sys.stdlib_module_names
        )
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["illegal"]:
            output.print_error(f"{importer} -> {imported} (l.{lines})")
            output.new_line()


def _line_numbers(graph: ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    return ", ".join(str(detail["line_number"]) for detail in details)
