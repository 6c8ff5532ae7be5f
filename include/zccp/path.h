/* SPDX-License-Identifier: MIT */
/* Path strings, newly allocated (free them); NULL when out of memory. */
#ifndef ZCCP_PATH_H
#define ZCCP_PATH_H

/* dir/name, with one slash between them. */
char *zccp_path_join(const char *dir, const char *name);
/* dirname(3) of path, without changing path. */
char *zccp_path_dir(const char *path);
/* basename(3) of path, without changing path. */
char *zccp_path_base(const char *path);

#endif
