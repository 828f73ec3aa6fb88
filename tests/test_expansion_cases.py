"""Expansion details found by tests/test_differential_expand.py, pinned against GNU make
4.3 (docs/make-semantics.md, fixes 19-23); each case failed in kbsim before its fix."""

from __future__ import annotations

import pytest

from oracle import Case, needs_make

CASES = {
    # variable.c do_variable_definition: "If the new value is empty, nothing to do."
    "append-empty": ["S := 1", "S += $(empty)", "R = 2", "R +=", "U = 3", "U += $(empty)",
                     "$(info [$(S)] [$(R)] [$(U)] [$(value U)])"],
    # function.c subst_expand: "The first occurrence of "" in any string is its end."
    "subst-empty-from": ["$(info [$(subst ,X,a b)] [$(subst $(empty),-,)] [$(subst ,,c)])"],
    # function.c patsubst_expand: no blank for a word replaced by nothing
    "patsubst-to-empty": ["X := a.o b.c", "$(info [$(patsubst %.o,,%.o  a)] [$(X:.o=)] "
                          "[$(X:%.o=)] [$(patsubst %,,a b)] [$(patsubst a,,a b a)])"],
    # ... but a replacement with '%' adds the blank even when the stem is empty
    "patsubst-empty-stem": ["Y := .o .o x", "$(info [$(patsubst %.o,%,.o .o)] [$(Y:.o=)] "
                            "[$(patsubst %.o,%,$(Y))] [$(patsubst .%,%,. .a)])"],
    # function.c patsubst_expand_pat: no '%' is subst_expand by whole words, blanks kept
    "patsubst-no-percent": ["X := a  b\tc a", "$(info [$(patsubst a,x,$(X))] "
                            "[$(patsubst ,x,a b)] [$(patsubst ,x,)] "
                            "[$(patsubst ab,y,ab abc cab ab)] [$(patsubst b,,a b  c)])"],
    # function.c func_if/or/and: the condition's text is stripped before expansion, a
    # blank expansion is true, and/or return the expansion unstripped
    "if-or-and-blanks": ["space := $(empty) $(empty)",
                         "$(info [$(if $(space),T,F)] [$(if  ,T,F)] [$(if a ,  x , y)] "
                         "[$(or $(space),z)] [$(or ,,  q)] [$(and a,  b )] "
                         "[$(and $(space),c)] [$(and a,,c)] [$(or $(empty) , w)] "
                         "[$(and a,$(if b,  d, e))] [$(if $(empty) $(empty),T,F)])"],
    # expand.c: errors inside a variable are located at its definition
    "error-at-definition": ["W = $(word x,a b)", "", "$(info $(W))"],
    "error-in-call": ["mac = $(wordlist 0,1,$(1))", "", "$(info $(call mac,a))"],
    "error-nested": ["IN = $(word 0,a)", "OUT = [$(IN)]", "", "$(info $(OUT))"],
    "error-in-conditional": ["C += e.o", "ifeq (a,$(word 0,2))", "endif"],
    "error-in-include": ["X := 1", "-include $(wordlist x,1,a)"],
    # read.c: an assignment keeps the blanks at the end of its value
    "trailing-blanks": ["A = a  ", "B := b\t", "C += c ", "$(info [$(A)][$(B)][$(C)])"],
    # read.c conditional_line: a second plain 'else', even in an ignored block
    "two-else": ["ifeq (a,b)", "else", "X = 1", "else", "endif"],
    "two-else-ignored": ["ifeq (a,b)", "ifeq (c,c)", "else", "else", "endif", "endif"],
    "else-if-chain": ["ifeq (a,b)", "X = 1", "else ifeq (a,c)", "X = 2", "else", "X = 3",
                      "endif", "$(info $(X))"],
}


@needs_make
@pytest.mark.parametrize("name", sorted(CASES))
def test_expansion_case(name, tmp_path):
    c = Case(str(tmp_path))
    c.mk(*CASES[name], "all: ; @:")
    c.run("-r")
    bad = c.mismatches()
    assert not bad, "\n".join(bad)
