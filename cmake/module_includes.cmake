# Module boundaries (STYLE.md §1), read from the sources' #include lines: dependencies go one
# way, agent -> restore -> etcd, kube, uploader -> agent/base (kb_base), and every module may
# include agent/base/ but nothing else in agent/. Linking alone cannot catch a header-only use
# (kube/ including an uploader/ header whose code kb_restore happens to link).
# Runs at configure time (include() with KB_SOURCE_DIR set) and at build time
# (cmake -DKB_SOURCE_DIR=<dir> -P this file), so an edited #include fails the next build.

# Collects into `out` every #include "<folder>/..." of a .h or .cc under `dir` whose folder is
# one of the remaining arguments, agent/base/ excepted, as "file:line-text".
function(kb_forbidden_includes out dir)
  list(JOIN ARGN "|" folders)
  file(GLOB_RECURSE files ${KB_SOURCE_DIR}/${dir}/*.h ${KB_SOURCE_DIR}/${dir}/*.cc)
  set(found)
  foreach(file IN LISTS files)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"(${folders})/")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "\"agent/base/")
        file(RELATIVE_PATH rel ${KB_SOURCE_DIR} ${file})
        list(APPEND found "  ${rel}: ${line}")
      endif()
    endforeach()
  endforeach()
  set(${out} ${${out}} ${found} PARENT_SCOPE)
endfunction()

set(kb_bad_includes)
kb_forbidden_includes(kb_bad_includes agent/base etcd kube uploader restore agent)
kb_forbidden_includes(kb_bad_includes etcd kube uploader restore agent)
kb_forbidden_includes(kb_bad_includes kube etcd uploader restore agent)
kb_forbidden_includes(kb_bad_includes uploader etcd kube restore agent)
kb_forbidden_includes(kb_bad_includes restore agent)
if(kb_bad_includes)
  list(JOIN kb_bad_includes "\n" kb_bad_lines)
  message(FATAL_ERROR
    "Includes across module boundaries (STYLE.md §1: agent -> restore -> etcd, kube, uploader "
    "-> agent/base; only agent/base/ of agent/ is shared):\n${kb_bad_lines}\n"
    "Move the shared code down (to agent/base/) or the wiring up (to restore/ or agent/).")
endif()
