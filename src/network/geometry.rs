//! Population geometry: 1 to 4 dimensions, row-major ranks (numpy's C order).

use crate::error::{Error, Result};

/// The shape of a population: 1 to 4 dimensions; ranks are row-major.
///
/// ```
/// use cajal::prelude::*;
/// let g = Geometry::new(&[4, 3]).unwrap();
/// assert_eq!(g.size(), 12);
/// assert_eq!(g.rank(&[1, 2]).unwrap(), 5);
/// assert_eq!(g.coords(5), vec![1, 2]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    dims: Vec<usize>,
}

impl Geometry {
    /// A geometry from its dimensions; each must be at least 1, at most 4 of them.
    pub fn new(dims: &[usize]) -> Result<Self> {
        if dims.is_empty() || dims.len() > 4 {
            return Err(Error::invalid(
                "geometry",
                format!("a geometry has 1 to 4 dimensions, got {}", dims.len()),
            ));
        }
        if dims.contains(&0) {
            return Err(Error::invalid(
                "geometry",
                format!("every dimension must be at least 1, got {dims:?}"),
            ));
        }
        let size = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        match size {
            Some(s) if s <= u32::MAX as usize => Ok(Geometry {
                dims: dims.to_vec(),
            }),
            _ => Err(Error::invalid(
                "geometry",
                format!("{dims:?} has more than 2^32 - 1 neurons"),
            )),
        }
    }

    /// The dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Number of neurons.
    pub fn size(&self) -> usize {
        self.dims.iter().product()
    }

    /// Row-major rank of a coordinate; an error if it lies outside.
    pub fn rank(&self, coords: &[usize]) -> Result<usize> {
        if coords.len() != self.dims.len() || coords.iter().zip(&self.dims).any(|(c, d)| c >= d) {
            return Err(Error::Shape {
                owner: "geometry".into(),
                message: format!(
                    "coordinates {coords:?} lie outside geometry {:?}",
                    self.dims
                ),
            });
        }
        Ok(coords.iter().zip(&self.dims).fold(0, |r, (c, d)| r * d + c))
    }

    /// Coordinates of a rank (row-major); `rank` must be below [`size`](Self::size).
    pub fn coords(&self, rank: usize) -> Vec<usize> {
        let mut c = vec![0; self.dims.len()];
        let mut r = rank;
        for (i, d) in self.dims.iter().enumerate().rev() {
            c[i] = r % d;
            r /= d;
        }
        c
    }
}

/// Anything that can be turned into a [`Geometry`]: a size, an array, a
/// slice, a vector or a tuple of dimensions (`100`, `[10, 10]`, `(10, 10)`).
pub trait IntoGeometry {
    /// The geometry, or an error if it is empty or too large.
    fn into_geometry(self) -> Result<Geometry>;
}

impl IntoGeometry for usize {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(&[self])
    }
}

impl<const N: usize> IntoGeometry for [usize; N] {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(&self)
    }
}

impl IntoGeometry for &[usize] {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(self)
    }
}

impl IntoGeometry for Vec<usize> {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(&self)
    }
}

impl IntoGeometry for (usize, usize) {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(&[self.0, self.1])
    }
}

impl IntoGeometry for (usize, usize, usize) {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(&[self.0, self.1, self.2])
    }
}

impl IntoGeometry for (usize, usize, usize, usize) {
    fn into_geometry(self) -> Result<Geometry> {
        Geometry::new(&[self.0, self.1, self.2, self.3])
    }
}

impl IntoGeometry for Geometry {
    fn into_geometry(self) -> Result<Geometry> {
        Ok(self)
    }
}

impl IntoGeometry for &Geometry {
    fn into_geometry(self) -> Result<Geometry> {
        Ok(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_are_row_major_and_round_trip() {
        let g = Geometry::new(&[2, 3, 4]).unwrap();
        assert_eq!(g.rank(&[1, 2, 3]).unwrap(), 23);
        for r in 0..g.size() {
            assert_eq!(g.rank(&g.coords(r)).unwrap(), r);
        }
        assert!(g.rank(&[2, 0, 0]).is_err());
        assert!(Geometry::new(&[1, 1, 1, 1, 1]).is_err());
        assert!(Geometry::new(&[3, 0]).is_err());
    }

    #[test]
    fn tuples_vectors_and_arrays_give_the_same_geometry() {
        let g = [4, 3, 2].into_geometry().unwrap();
        assert_eq!((4, 3, 2).into_geometry().unwrap(), g);
        assert_eq!(vec![4, 3, 2].into_geometry().unwrap(), g);
        assert_eq!((4, 3).into_geometry().unwrap().dims(), &[4, 3]);
        assert_eq!((1, 2, 3, 4).into_geometry().unwrap().size(), 24);
        assert!((4, 0).into_geometry().is_err());
    }
}
