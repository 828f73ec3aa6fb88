"""GNU make 4.3's built-in rules and variables (``default.c``), as Debian 12's make has them.

The tables of default.c for a Unix build (GCC_IS_NATIVE unset, SCCS_GET "get"); the same
values ``make -p -f /dev/null`` prints. main.c installs them unless -r (rules) and -R
(variables, which implies -r): default_suffixes as the prerequisites of .SUFFIXES, each
suffix rule as a file with its recipe before any makefile is read
(install_default_suffix_rules), the pattern and terminal rules after (rule.c
convert_to_pattern turns the suffix rules into pattern rules first, so a makefile's
suffix rules come before the built-in pattern rules).
"""

from __future__ import annotations

SUFFIXES = ('.out .a .ln .o .c .cc .C .cpp .p .f .F .m .r .y .l .ym .yl .s .S .mod .sym .def '
            '.h .info .dvi .tex .texinfo .texi .txinfo .w .ch .web .sh .elc .el')

# (target pattern, prerequisites, recipe)
PATTERN_RULES = (
    ('(%)', '%', '$(AR) $(ARFLAGS) $@ $<'),
    ('%.out', '%', '@rm -f $@ \n cp $< $@'),
    ('%.c', '%.w %.ch', '$(CTANGLE) $^ $@'),
    ('%.tex', '%.w %.ch', '$(CWEAVE) $^ $@'),
)

TERMINAL_RULES = (
    ('%', '%,v', '$(CHECKOUT,v)'),
    ('%', 'RCS/%,v', '$(CHECKOUT,v)'),
    ('%', 'RCS/%', '$(CHECKOUT,v)'),
    ('%', 's.%', '$(GET) $(GFLAGS) $(SCCS_OUTPUT_OPTION) $<'),
    ('%', 'SCCS/s.%', '$(GET) $(GFLAGS) $(SCCS_OUTPUT_OPTION) $<'),
)

# (suffix rule target, recipe)
SUFFIX_RULES = (
    ('.o', '$(LINK.o) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.s', '$(LINK.s) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.S', '$(LINK.S) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.c', '$(LINK.c) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.cc', '$(LINK.cc) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.C', '$(LINK.C) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.cpp', '$(LINK.cpp) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.f', '$(LINK.f) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.m', '$(LINK.m) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.p', '$(LINK.p) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.F', '$(LINK.F) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.r', '$(LINK.r) $^ $(LOADLIBES) $(LDLIBS) -o $@'),
    ('.mod', '$(COMPILE.mod) -o $@ -e $@ $^'),
    ('.def.sym', '$(COMPILE.def) -o $@ $<'),
    ('.sh', 'cat $< >$@ \n chmod a+x $@'),
    ('.s.o', '$(COMPILE.s) -o $@ $<'),
    ('.S.o', '$(COMPILE.S) -o $@ $<'),
    ('.c.o', '$(COMPILE.c) $(OUTPUT_OPTION) $<'),
    ('.cc.o', '$(COMPILE.cc) $(OUTPUT_OPTION) $<'),
    ('.C.o', '$(COMPILE.C) $(OUTPUT_OPTION) $<'),
    ('.cpp.o', '$(COMPILE.cpp) $(OUTPUT_OPTION) $<'),
    ('.f.o', '$(COMPILE.f) $(OUTPUT_OPTION) $<'),
    ('.m.o', '$(COMPILE.m) $(OUTPUT_OPTION) $<'),
    ('.p.o', '$(COMPILE.p) $(OUTPUT_OPTION) $<'),
    ('.F.o', '$(COMPILE.F) $(OUTPUT_OPTION) $<'),
    ('.r.o', '$(COMPILE.r) $(OUTPUT_OPTION) $<'),
    ('.mod.o', '$(COMPILE.mod) -o $@ $<'),
    ('.c.ln', '$(LINT.c) -C$* $<'),
    ('.y.ln', '$(YACC.y) $< \n $(LINT.c) -C$* y.tab.c \n $(RM) y.tab.c'),
    ('.l.ln', '@$(RM) $*.c\n $(LEX.l) $< > $*.c\n$(LINT.c) -i $*.c -o $@\n $(RM) $*.c'),
    ('.y.c', '$(YACC.y) $< \n mv -f y.tab.c $@'),
    ('.l.c', '@$(RM) $@ \n $(LEX.l) $< > $@'),
    ('.ym.m', '$(YACC.m) $< \n mv -f y.tab.c $@'),
    ('.lm.m', '@$(RM) $@ \n $(LEX.m) $< > $@'),
    ('.F.f', '$(PREPROCESS.F) $(OUTPUT_OPTION) $<'),
    ('.r.f', '$(PREPROCESS.r) $(OUTPUT_OPTION) $<'),
    ('.l.r', '$(LEX.l) $< > $@ \n mv -f lex.yy.r $@'),
    ('.S.s', '$(PREPROCESS.S) $< > $@'),
    ('.texinfo.info', '$(MAKEINFO) $(MAKEINFO_FLAGS) $< -o $@'),
    ('.texi.info', '$(MAKEINFO) $(MAKEINFO_FLAGS) $< -o $@'),
    ('.txinfo.info', '$(MAKEINFO) $(MAKEINFO_FLAGS) $< -o $@'),
    ('.tex.dvi', '$(TEX) $<'),
    ('.texinfo.dvi', '$(TEXI2DVI) $(TEXI2DVI_FLAGS) $<'),
    ('.texi.dvi', '$(TEXI2DVI) $(TEXI2DVI_FLAGS) $<'),
    ('.txinfo.dvi', '$(TEXI2DVI) $(TEXI2DVI_FLAGS) $<'),
    ('.w.c', '$(CTANGLE) $< - $@'),
    ('.web.p', '$(TANGLE) $<'),
    ('.w.tex', '$(CWEAVE) $< - $@'),
    ('.web.tex', '$(WEAVE) $<'),
)

# (name, value): recursive variables of origin 'default'
VARIABLES = (
    ('AR', 'ar'),
    ('ARFLAGS', 'rv'),
    ('AS', 'as'),
    ('CC', 'cc'),
    ('CXX', 'g++'),
    ('OBJC', 'cc'),
    ('CHECKOUT,v', '+$(if $(wildcard $@),,$(CO) $(COFLAGS) $< $@)'),
    ('CO', 'co'),
    ('COFLAGS', ''),
    ('CPP', '$(CC) -E'),
    ('FC', 'f77'),
    ('F77', '$(FC)'),
    ('F77FLAGS', '$(FFLAGS)'),
    ('GET', 'get'),
    ('LD', 'ld'),
    ('LEX', 'lex'),
    ('LINT', 'lint'),
    ('M2C', 'm2c'),
    ('PC', 'pc'),
    ('YACC', 'yacc'),
    ('MAKEINFO', 'makeinfo'),
    ('TEX', 'tex'),
    ('TEXI2DVI', 'texi2dvi'),
    ('WEAVE', 'weave'),
    ('CWEAVE', 'cweave'),
    ('TANGLE', 'tangle'),
    ('CTANGLE', 'ctangle'),
    ('RM', 'rm -f'),
    ('LINK.o', '$(CC) $(LDFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.c', '$(CC) $(CFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c'),
    ('LINK.c', '$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.m', '$(OBJC) $(OBJCFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c'),
    ('LINK.m', '$(OBJC) $(OBJCFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.cc', '$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c'),
    ('COMPILE.C', '$(COMPILE.cc)'),
    ('COMPILE.cpp', '$(COMPILE.cc)'),
    ('LINK.cc', '$(CXX) $(CXXFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('LINK.C', '$(LINK.cc)'),
    ('LINK.cpp', '$(LINK.cc)'),
    ('YACC.y', '$(YACC) $(YFLAGS)'),
    ('LEX.l', '$(LEX) $(LFLAGS) -t'),
    ('YACC.m', '$(YACC) $(YFLAGS)'),
    ('LEX.m', '$(LEX) $(LFLAGS) -t'),
    ('COMPILE.f', '$(FC) $(FFLAGS) $(TARGET_ARCH) -c'),
    ('LINK.f', '$(FC) $(FFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.F', '$(FC) $(FFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c'),
    ('LINK.F', '$(FC) $(FFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.r', '$(FC) $(FFLAGS) $(RFLAGS) $(TARGET_ARCH) -c'),
    ('LINK.r', '$(FC) $(FFLAGS) $(RFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.def', '$(M2C) $(M2FLAGS) $(DEFFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.mod', '$(M2C) $(M2FLAGS) $(MODFLAGS) $(TARGET_ARCH)'),
    ('COMPILE.p', '$(PC) $(PFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -c'),
    ('LINK.p', '$(PC) $(PFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_ARCH)'),
    ('LINK.s', '$(CC) $(ASFLAGS) $(LDFLAGS) $(TARGET_MACH)'),
    ('COMPILE.s', '$(AS) $(ASFLAGS) $(TARGET_MACH)'),
    ('LINK.S', '$(CC) $(ASFLAGS) $(CPPFLAGS) $(LDFLAGS) $(TARGET_MACH)'),
    ('COMPILE.S', '$(CC) $(ASFLAGS) $(CPPFLAGS) $(TARGET_MACH) -c'),
    ('PREPROCESS.S', '$(CC) -E $(CPPFLAGS)'),
    ('PREPROCESS.F', '$(FC) $(FFLAGS) $(CPPFLAGS) $(TARGET_ARCH) -F'),
    ('PREPROCESS.r', '$(FC) $(FFLAGS) $(RFLAGS) $(TARGET_ARCH) -F'),
    ('LINT.c', '$(LINT) $(LINTFLAGS) $(CPPFLAGS) $(TARGET_ARCH)'),
    ('OUTPUT_OPTION', '-o $@'),
    ('.LIBPATTERNS', 'lib%.so lib%.a'),
    ('GNUMAKEFLAGS', ''),
)
