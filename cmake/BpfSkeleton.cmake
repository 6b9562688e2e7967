# bpf_skeleton(NAME SOURCE [DEPENDS headers...])
#
# Compiles SOURCE (a *.bpf.c file) with clang -target bpf, generates the libbpf
# skeleton header NAME.skel.h with bpftool, and exposes it as the INTERFACE
# library target NAME_skel. Linking a C++ target against NAME_skel puts the
# skeleton (and with it the whole BPF object, embedded as bytes) into that
# binary: there is no .o file to install or find at run time.
function(bpf_skeleton name source)
  cmake_parse_arguments(ARG "" "" "DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  execute_process(COMMAND uname -m OUTPUT_VARIABLE arch OUTPUT_STRIP_TRAILING_WHITESPACE)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${BPF_CLANG} -target bpf -O2 -g -Wall -Werror
            -D__TARGET_ARCH_x86
            -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/bpf
            -I/usr/include/${arch}-linux-gnu
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${source} ${ARG_DEPENDS}
            ${CMAKE_SOURCE_DIR}/include/xvs/abi.h
    COMMENT "BPF ${source}"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF PkgConfig::LIBELF)
endfunction()
