/*
 * Internal: the import helpers other image files use.
 */
#ifndef CV_IMAGE_IMAGE_IMPORT_H
#define CV_IMAGE_IMAGE_IMPORT_H

/* A directory as a pax tar written to fd. */
int cv_image_tar_directory(const char *directory, int fd);

#endif
