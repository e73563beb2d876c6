# Runs at install time (cmake --install, cpack): writes the systemd units with
# the prefix actually being installed to, so ExecStart= names the installed
# binary (/usr/bin/homeserve in the .deb, /usr/local/bin/... by default).
# Set by the install(CODE) line before it: HS_DIST_DIR.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(unit_dir "/lib/systemd/system")   # Debian 12's place for packaged units
else()
  set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(HS_BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
foreach(unit homeserve.service homeserve.socket)
  set(dest "$ENV{DESTDIR}${unit_dir}/${unit}")
  message(STATUS "Installing: ${dest}")
  file(READ "${HS_DIST_DIR}/${unit}" text)
  string(REPLACE "/usr/bin/homeserve" "${HS_BINDIR}/homeserve" text "${text}")
  file(WRITE "${dest}" "${text}")
  file(CHMOD "${dest}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
